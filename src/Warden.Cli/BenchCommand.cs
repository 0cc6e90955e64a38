using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Warden.Cli;

/// <summary>
/// <c>warden bench</c>: a few seconds' measurement of copy throughput through Warden's IO paths,
/// printed as a table (see <see cref="CopyThroughputBench"/>).
/// </summary>
internal static class BenchCommand
{
    /// <summary>Creates the <c>bench</c> command with its options and action.</summary>
    public static Command Create()
    {
        var duration = new Option<int>("--duration-ms")
        {
            Description = "Milliseconds spent timing each cell of the table.",
            DefaultValueFactory = _ => 100,
        };
        duration.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--duration-ms must be a positive number of milliseconds.");
            }
        });

        var warmup = new Option<int>("--warmup-ms")
        {
            // Measured on 2 cores: 400 ms sometimes ended before the runtime had recompiled the copy
            // paths with full optimisation (8-byte copies then took 1.7x as long); 600 ms and more
            // always sufficed.
            Description = "Milliseconds spent running every cell in turns before timing starts, so the runtime's optimising compiler has run.",
            DefaultValueFactory = _ => 1000,
        };
        warmup.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--warmup-ms must not be negative.");
            }
        });

        var command = new Command(
            "bench",
            "Measure copy throughput (GB/s) and time per copy through BytesIO and IOSequence, beside a raw span copy, at 8 B, 4 KiB and 1 MiB.")
        {
            duration,
            warmup,
        };
        command.SetAction(parseResult =>
        {
            var bench = new CopyThroughputBench(
                TimeSpan.FromMilliseconds(parseResult.GetValue(duration)),
                TimeSpan.FromMilliseconds(parseResult.GetValue(warmup)));
            Run(bench, parseResult.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    /// <summary>Runs <paramref name="bench"/> at the default sizes and writes its table to <paramref name="output"/>.</summary>
    private static void Run(CopyThroughputBench bench, TextWriter output)
    {
        output.WriteLine(
            $"Copy throughput through Warden's IO paths ({RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} CPUs).");
        output.WriteLine(
            $"Each cell: median of {CopyThroughputBench.Batches} batches over ~{bench.CellDuration.TotalMilliseconds:0} ms, after a {bench.Warmup.TotalMilliseconds:0} ms warm-up.");
        output.WriteLine();

        IReadOnlyList<CopyMeasurement> measurements = bench.Run(CopyThroughputBench.DefaultSizes);

        var table = new TableWriter(
            new TableColumn("Path"),
            new TableColumn("Size", AlignRight: true),
            new TableColumn("ns/copy", AlignRight: true),
            new TableColumn("GB/s", AlignRight: true),
            new TableColumn("vs raw", AlignRight: true),
            new TableColumn("alloc B/copy", AlignRight: true));
        bool first = true;
        foreach (CopyMeasurement m in measurements)
        {
            // A blank line before each group: a raw copy and the paths compared with it.
            if (m.IsBaseline && !first)
            {
                table.AddBreak();
            }
            first = false;
            table.AddRow(
                m.Path,
                FormatSize(m.Size),
                m.NanosecondsPerCopy.ToString(m.NanosecondsPerCopy < 100 ? "0.00" : "#,0", CultureInfo.InvariantCulture),
                m.GigabytesPerSecond.ToString("0.00", CultureInfo.InvariantCulture),
                m.ThroughputVsRaw.ToString("0.00", CultureInfo.InvariantCulture) + "x",
                m.AllocatedBytesPerCopy.ToString("0.##", CultureInfo.InvariantCulture));
        }
        table.WriteTo(output);

        output.WriteLine();
        output.WriteLine("GB/s is 10^9 bytes per second; \"vs raw\" is throughput relative to the raw span copy of the same bytes in the same direction (in: memory to buffer; out: buffer to memory).");
    }

    private static string FormatSize(int bytes) => bytes switch
    {
        >= 1 << 20 when bytes % (1 << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1 << 10 when bytes % (1 << 10) == 0 => $"{bytes >> 10} KiB",
        _ => $"{bytes} B",
    };
}
