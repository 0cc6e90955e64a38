using System.Runtime.CompilerServices;
using Warden.Errors;

namespace Warden.Cli;

/// <summary>One cell of the table: one copy path at one size, ready to be timed.</summary>
internal abstract class CopyCell
{
    /// <summary>Creates a cell compared against <paramref name="baseline"/> (none for a baseline itself).</summary>
    protected CopyCell(CopyCell? baseline) => Baseline = baseline;

    /// <summary>The raw copy in the same direction between the same memory, or null if this cell is one.</summary>
    public CopyCell? Baseline { get; }

    /// <summary>The path's name.</summary>
    public abstract string Path { get; }

    /// <summary>The bytes each copy moves.</summary>
    public abstract int Size { get; }

    /// <summary>Copies once, to check that the path copies every byte before it is timed.</summary>
    public abstract (long Count, Error? Error) RunOnce();

    /// <summary>Copies <paramref name="iterations"/> times.</summary>
    /// <returns>The bytes copied in all: <c>iterations * Size</c> unless a copy fell short.</returns>
    public abstract long RunBatch(long iterations);
}

/// <summary>A <see cref="CopyCell"/> whose timing loop is specialised for <typeparamref name="TOperation"/>.</summary>
internal sealed class CopyCell<TOperation>(TOperation operation, int size, CopyCell? baseline = null) : CopyCell(baseline)
    where TOperation : struct, ICopyOperation
{
    /// <inheritdoc/>
    public override string Path => operation.Name;

    /// <inheritdoc/>
    public override int Size => size;

    /// <inheritdoc/>
    public override (long Count, Error? Error) RunOnce() => operation.Run();

    /// <inheritdoc/>
    /// <remarks>
    /// Compiled fully optimised from the first call, so the loop itself neither starts as
    /// unoptimised code nor switches versions part way through a batch; what it calls still tiers
    /// up as usual (hence the warm-up in <see cref="CopyThroughputBench"/>).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public override long RunBatch(long iterations)
    {
        TOperation op = operation;
        long total = 0;
        for (long i = 0; i < iterations; i++)
        {
            total += op.Run().Count;
        }
        return total;
    }
}
