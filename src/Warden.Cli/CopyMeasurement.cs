namespace Warden.Cli;

/// <summary>What <see cref="CopyThroughputBench"/> measured for one copy path at one size.</summary>
/// <param name="Path">The path's name.</param>
/// <param name="Size">The bytes each copy moved.</param>
/// <param name="NanosecondsPerCopy">The median time of one copy over the timed batches.</param>
/// <param name="AllocatedBytesPerCopy">Managed memory allocated per copy (0 for an allocation-free path).</param>
/// <param name="IsBaseline">Whether this is a raw copy, which the IO paths are compared with.</param>
/// <param name="ThroughputVsRaw">
/// This path's throughput divided by that of the raw copy of the same bytes in the same direction:
/// 1 is as fast as the raw copy, 0.5 half as fast (1 for a raw copy itself).
/// </param>
internal readonly record struct CopyMeasurement(
    string Path,
    int Size,
    double NanosecondsPerCopy,
    double AllocatedBytesPerCopy,
    bool IsBaseline,
    double ThroughputVsRaw)
{
    /// <summary>Throughput in gigabytes (10^9 bytes) per second.</summary>
    public double GigabytesPerSecond => Size / NanosecondsPerCopy;
}
