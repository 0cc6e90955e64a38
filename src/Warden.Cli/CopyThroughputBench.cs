using System.Diagnostics;
using Warden.Contexts;
using Warden.Errors;
using Warden.SafeMem;
using Warden.UserMem;

namespace Warden.Cli;

/// <summary>
/// A quick measurement of copy throughput and per-copy time through Warden's IO paths
/// (<see cref="BytesIO"/> and <see cref="IOSequence"/>), each beside a raw span copy of the same bytes.
/// </summary>
/// <remarks>
/// <para>
/// A smoke test of the copy paths' cost, not a substitute for the BenchmarkDotNet suite in
/// <c>bench/</c>: every cell is timed with a <see cref="Stopwatch"/>-calibrated loop for about
/// <see cref="CellDuration"/>, split into <see cref="Batches"/> batches taken in rounds over all
/// cells, and reported as the median batch.
/// </para>
/// <para>
/// All cells are warmed up together first, in turns, for <see cref="Warmup"/>: the runtime only
/// recompiles a method with full optimisation once it has been called a number of times after a
/// pause in compilation, so the pause must fall inside the warm-up, not inside a timed batch.
/// </para>
/// </remarks>
internal sealed class CopyThroughputBench
{
    /// <summary>The number of timed batches per cell; the median is reported.</summary>
    public const int Batches = 5;

    // The calibration loop stops doubling once a run takes this share of a batch's time, then
    // scales the iteration count up to fill the batch.
    private const int CalibrationDivisor = 4;

    // During warm-up each cell copies about this many bytes per turn (at least once).
    private const long WarmupBytesPerTurn = 256 * 1024;

    /// <summary>Creates a bench that times each cell for about <paramref name="cellDuration"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cellDuration"/> is not positive or <paramref name="warmup"/> is negative.</exception>
    public CopyThroughputBench(TimeSpan cellDuration, TimeSpan warmup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(cellDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        CellDuration = cellDuration;
        Warmup = warmup;
    }

    /// <summary>The sizes measured by default: a word, a page, a large read.</summary>
    public static IReadOnlyList<int> DefaultSizes { get; } = [8, 4096, 1 << 20];

    /// <summary>The time spent timing each cell (calibration not included).</summary>
    public TimeSpan CellDuration { get; }

    /// <summary>The time spent warming up all cells before the first is timed.</summary>
    public TimeSpan Warmup { get; }

    /// <summary>Measures every path at every size in <paramref name="sizes"/>.</summary>
    /// <returns>
    /// One measurement per path and size, each direction's raw copy first within each size, with
    /// throughput compared against the raw copy in the same direction.
    /// </returns>
    /// <exception cref="InvalidOperationException">A path did not copy all its bytes (a bug in that path).</exception>
    public IReadOnlyList<CopyMeasurement> Run(IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var cells = new List<CopyCell>();
        foreach (int size in sizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(size, 0, nameof(sizes));
            AddCells(cells, size);
        }

        foreach (CopyCell cell in cells)
        {
            CheckCopiesEverything(cell);
        }
        WarmUp(cells);

        var iterations = new long[cells.Count];
        for (int c = 0; c < cells.Count; c++)
        {
            iterations[c] = Calibrate(cells[c]);
        }
        (double[,] nanoseconds, long[] allocated) = TimeInRounds(cells, iterations);

        var medians = new Dictionary<CopyCell, double>(cells.Count);
        var results = new List<CopyMeasurement>(cells.Count);
        Span<double> times = stackalloc double[Batches];
        for (int c = 0; c < cells.Count; c++)
        {
            CopyCell cell = cells[c];
            for (int batch = 0; batch < Batches; batch++)
            {
                times[batch] = nanoseconds[c, batch];
            }
            times.Sort();
            double median = times[Batches / 2];
            medians[cell] = median;
            // Baselines come before the cells compared with them, so their medians are known.
            double vsRaw = cell.Baseline is null ? 1 : medians[cell.Baseline] / median;
            double allocatedPerCopy = (double)allocated[c] / (iterations[c] * Batches);
            results.Add(new CopyMeasurement(cell.Path, cell.Size, median, allocatedPerCopy, cell.Baseline is null, vsRaw));
        }
        return results;
    }

    /// <summary>Times <see cref="Batches"/> batches of each cell, in rounds over all cells.</summary>
    /// <returns>Nanoseconds per copy by cell and batch; managed bytes allocated by cell over all its batches.</returns>
    /// <remarks>
    /// Rounds rather than cell after cell, so that a burst of load from elsewhere on the machine
    /// falls on every cell alike rather than on a few.
    /// </remarks>
    private static (double[,] Nanoseconds, long[] Allocated) TimeInRounds(List<CopyCell> cells, long[] iterations)
    {
        var nanoseconds = new double[cells.Count, Batches];
        var allocated = new long[cells.Count];
        for (int batch = 0; batch < Batches; batch++)
        {
            for (int c = 0; c < cells.Count; c++)
            {
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long ticks = TimeBatch(cells[c], iterations[c]);
                allocated[c] += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                nanoseconds[c, batch] = ticks * 1e9 / Stopwatch.Frequency / iterations[c];
            }
        }
        return (nanoseconds, allocated);
    }

    /// <summary>
    /// Adds every IO path at <paramref name="size"/>: the copies into the buffer after a raw copy
    /// in that direction, the copies out of it after a raw copy in the other.
    /// </summary>
    private static void AddCells(List<CopyCell> cells, int size)
    {
        IContext ctx = Context.Background;
        var io = new BytesIO(size);
        new Random(size).NextBytes(io.Bytes);
        byte[] buffer = PinnedArrays.Allocate(size);
        IOSequence seq = IOSequence.BytesIOSequence(io);
        BlockSeq bufferBlocks = BlockSeq.Of(Block.FromPinnedArray(buffer));

        var rawIn = new CopyCell<RawSpanCopy>(new RawSpanCopy(io.Bytes, buffer, "raw copy in (Span.CopyTo)"), size);
        cells.Add(rawIn);
        cells.Add(new CopyCell<BytesIOCopyIn>(new BytesIOCopyIn(io, ctx, buffer), size, rawIn));
        cells.Add(new CopyCell<IOSequenceCopyIn>(new IOSequenceCopyIn(seq, ctx, buffer), size, rawIn));
        cells.Add(new CopyCell<IOSequenceCopyInTo>(
            new IOSequenceCopyInTo(seq, ctx, new BlockSeqWriter(bufferBlocks), bufferBlocks), size, rawIn));

        var rawOut = new CopyCell<RawSpanCopy>(new RawSpanCopy(buffer, io.Bytes, "raw copy out (Span.CopyTo)"), size);
        cells.Add(rawOut);
        cells.Add(new CopyCell<BytesIOCopyOut>(new BytesIOCopyOut(io, ctx, buffer), size, rawOut));
        cells.Add(new CopyCell<IOSequenceCopyOut>(new IOSequenceCopyOut(seq, ctx, buffer), size, rawOut));
    }

    private static void CheckCopiesEverything(CopyCell cell)
    {
        (long count, Error? error) = cell.RunOnce();
        if (count != cell.Size || error is not null)
        {
            throw new InvalidOperationException(
                $"{cell.Path} copied {count} of {cell.Size} bytes (error: {error?.Message ?? "none"}); it cannot be timed.");
        }
    }

    /// <summary>Runs the cells in turns until <see cref="Warmup"/> has passed.</summary>
    private void WarmUp(List<CopyCell> cells)
    {
        long end = Stopwatch.GetTimestamp() + ToTicks(Warmup);
        do
        {
            foreach (CopyCell cell in cells)
            {
                cell.RunBatch(Math.Max(1, WarmupBytesPerTurn / cell.Size));
            }
        }
        while (Stopwatch.GetTimestamp() < end);
    }

    /// <summary>Returns the number of copies of <paramref name="cell"/> that take about a batch's time.</summary>
    private long Calibrate(CopyCell cell)
    {
        long batchTicks = Math.Max(1, ToTicks(CellDuration) / Batches);

        // Double the count until a run is long enough to time well, then scale it to a batch.
        long iterations = 1;
        long elapsed;
        while (true)
        {
            elapsed = TimeBatch(cell, iterations);
            if (elapsed >= batchTicks / CalibrationDivisor || iterations > long.MaxValue / 4)
            {
                break;
            }
            iterations *= 2;
        }
        return Math.Max(1, (long)((double)iterations * batchTicks / Math.Max(1, elapsed)));
    }

    /// <summary>Runs one batch and returns its duration in <see cref="Stopwatch"/> ticks.</summary>
    private static long TimeBatch(CopyCell cell, long iterations)
    {
        long start = Stopwatch.GetTimestamp();
        long copied = cell.RunBatch(iterations);
        long elapsed = Stopwatch.GetTimestamp() - start;
        if (copied != iterations * cell.Size)
        {
            throw new InvalidOperationException($"{cell.Path} copied {copied} of {iterations * cell.Size} bytes while being timed.");
        }
        return elapsed;
    }

    private static long ToTicks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);
}
