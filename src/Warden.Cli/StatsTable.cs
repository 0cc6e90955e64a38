using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using Warden.Kernel;

namespace Warden.Cli;

/// <summary><c>warden run --stats</c>: what the kernel counted, as two tables (system calls, then memory and copies).</summary>
internal static class StatsTable
{
    /// <summary>Writes <paramref name="stats"/> to <paramref name="output"/>, with colours and box lines only if it is a terminal that takes them.</summary>
    public static void Write(KernelStats stats, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(output);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
        });
        console.Write(Syscalls(stats));
        console.Write(Memory(stats));
    }

    /// <summary>System calls by name, most frequent first, with a total row.</summary>
    public static Table Syscalls(KernelStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var table = new Table { Title = new TableTitle("System calls") };
        table.AddColumn(new Spectre.Console.TableColumn("syscall"));
        table.AddColumn(new Spectre.Console.TableColumn("calls").RightAligned());
        table.AddColumn(new Spectre.Console.TableColumn("errors").RightAligned());
        table.AddColumn(new Spectre.Console.TableColumn("total time").RightAligned());
        table.AddColumn(new Spectre.Console.TableColumn("per call").RightAligned());
        long calls = 0, errors = 0;
        TimeSpan time = TimeSpan.Zero;
        foreach (KernelStats.SyscallCount count in stats.SyscallCounts())
        {
            AddRow(table, count.Name, count.Count, count.Errors, count.Time);
            calls += count.Count;
            errors += count.Errors;
            time += count.Time;
        }
        if (calls > 0)
        {
            table.AddEmptyRow();
        }
        AddRow(table, "total", calls, errors, time);
        return table;
    }

    /// <summary>Faults, copy-on-write breaks, bytes copied and the peak resident set.</summary>
    public static Table Memory(KernelStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var table = new Table { Title = new TableTitle("Memory") };
        table.AddColumn(new Spectre.Console.TableColumn("what"));
        table.AddColumn(new Spectre.Console.TableColumn("count").RightAligned());
        table.AddColumn(new Spectre.Console.TableColumn("detail").RightAligned());
        table.AddRow(Cells("page faults served", Number(stats.Faults),
            stats.Faults == 0 ? "" : $"{Duration(stats.FaultTime)} total, {Duration(stats.FaultTime / stats.Faults)} each"));
        table.AddRow(Cells("copy-on-write breaks", Number(stats.CopyOnWriteBreaks), ""));
        table.AddRow(Cells("bytes copied in (program to kernel)", Number(stats.BytesCopiedIn), Size(stats.BytesCopiedIn)));
        table.AddRow(Cells("bytes copied out (kernel to program)", Number(stats.BytesCopiedOut), Size(stats.BytesCopiedOut)));
        table.AddRow(Cells("peak resident set", Number(stats.PeakResidentSetSize), Size(stats.PeakResidentSetSize)));
        return table;
    }

    /// <summary>A time as a person reads it: ns, µs, ms or s with three significant figures or so.</summary>
    public static string Duration(TimeSpan time)
    {
        double ns = time.Ticks * 100.0;
        return ns switch
        {
            < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ns:0} ns"),
            < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000:0.0} µs"),
            < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000:0.00} ms"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{ns / 1_000_000_000:0.00} s"),
        };
    }

    /// <summary>A byte count in binary units (B, KiB, MiB, GiB).</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB"),
    };

    private static void AddRow(Table table, string name, long calls, long errors, TimeSpan time) =>
        table.AddRow(Cells(name, Number(calls), errors == 0 ? "" : Number(errors), Duration(time),
            calls == 0 ? "" : Duration(time / calls)));

    private static string Number(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    // Plain text, not markup: nothing in a cell is read as Spectre's [style] tags.
    private static IRenderable[] Cells(params string[] cells)
    {
        var result = new IRenderable[cells.Length];
        for (int i = 0; i < cells.Length; i++)
        {
            result[i] = new Text(cells[i]);
        }
        return result;
    }
}
