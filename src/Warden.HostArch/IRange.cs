namespace Warden.HostArch;

/// <summary>
/// A half-open range <c>[start, end)</c> of 64-bit keys. <see cref="AddrRange"/>,
/// <see cref="FileRange"/> and <see cref="MappableRange"/> implement it so that the range
/// operations in <see cref="RangeOperations"/> are written once for all of them.
/// </summary>
/// <typeparam name="TSelf">The implementing range type.</typeparam>
public interface IRange<TSelf>
    where TSelf : struct, IRange<TSelf>
{
    /// <summary>The first key in the range.</summary>
    ulong RangeStart { get; }

    /// <summary>The first key past the range.</summary>
    ulong RangeEnd { get; }

    /// <summary>Creates a range of this type from its bounds.</summary>
    static abstract TSelf FromBounds(ulong start, ulong end);
}
