using System.Buffers.Binary;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// How an <see cref="FPState"/> is marked as lent: its live contents are in a stub thread (or in the
/// context's spill buffer), and the bytes in the caller's copy are stale.
/// </summary>
/// <remarks>
/// The mark is a 64-bit value, unique to the <see cref="PtraceContext"/> that lent the state,
/// written into bytes 16..23 of the XSAVE header. Those bytes are reserved and must be zero in every
/// valid XSAVE image (<c>XRSTOR</c> faults otherwise, and Linux rejects such an image), so no state
/// a caller can legitimately produce carries a mark: <c>FPState.Reset</c>, <c>CopyFrom</c> of a real
/// state, or a state read back from a signal frame all clear it. A marked state therefore means
/// "unchanged since the platform lent it", and an unmarked one "the caller's own".
/// </remarks>
internal static class FPLending
{
    /// <summary>The offset of the mark: the first reserved quadword of the XSAVE header.</summary>
    public const int MarkOffset = FPState.LegacyRegionSize + 16;

    // High bits that make a mark recognisable; the low 32 bits number the context.
    private const ulong MarkTag = 0x5750_5452_0000_0000; // "WPTR"

    private static int s_nextContext;

    /// <summary>Returns a new mark, different from every other this process has handed out (up to 2^32 contexts).</summary>
    public static ulong NewMark() => MarkTag | (uint)Interlocked.Increment(ref s_nextContext);

    /// <summary>The mark <paramref name="state"/> carries, or 0 if it carries none.</summary>
    public static ulong MarkOf(FPState state) =>
        BinaryPrimitives.ReadUInt64LittleEndian(state.AsSpan()[MarkOffset..]);

    /// <summary>Marks <paramref name="state"/> as lent with <paramref name="mark"/> (0 removes the mark).</summary>
    public static void SetMark(FPState state, ulong mark) =>
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan()[MarkOffset..], mark);
}
