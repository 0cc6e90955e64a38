using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.UserMem;

/// <summary>
/// Access to the contents of a virtual address space (gVisor's <c>usermem.IO</c>). The memory
/// manager is the main implementation; <see cref="BytesIO"/> is a simple one over a buffer.
/// </summary>
/// <remarks>
/// <para>
/// Every copy returns the count it did and, when that is less than asked, an error saying why (for
/// example <see cref="Errno.EFAULT"/> for an unmapped address). A complete copy never carries an error.
/// </para>
/// <para>
/// <b>Preconditions</b> (every method): the caller holds none of the memory manager's locks
/// (mapping lock or any lock after it in the lock order).
/// </para>
/// </remarks>
public interface IMemoryIO
{
    /// <summary>Copies <c>src.Length</c> bytes from <paramref name="src"/> to the memory mapped at <paramref name="addr"/>.</summary>
    /// <remarks><b>Postconditions:</b> <paramref name="src"/> is not retained.</remarks>
    (int Count, Error? Error) CopyOut(IContext ctx, Addr addr, ReadOnlySpan<byte> src, IOOpts opts);

    /// <summary>Copies <c>dst.Length</c> bytes from the memory mapped at <paramref name="addr"/> to <paramref name="dst"/>.</summary>
    /// <remarks><b>Postconditions:</b> <paramref name="dst"/> is not retained.</remarks>
    (int Count, Error? Error) CopyIn(IContext ctx, Addr addr, Span<byte> dst, IOOpts opts);

    /// <summary>Sets <paramref name="toZero"/> bytes starting at <paramref name="addr"/> to zero.</summary>
    /// <remarks>
    /// <b>Preconditions:</b> <paramref name="toZero"/> &gt;= 0; every implementation throws
    /// <see cref="ArgumentOutOfRangeException"/> otherwise. Any non-negative length is a valid
    /// request, however large: bytes are zeroed in order up to the first that cannot be, and the count
    /// says how many, with the error (EFAULT, ...) that stopped the rest. An address space may refuse a
    /// range that can never be valid (one that wraps or passes its top, Linux's <c>access_ok</c>) with
    /// EFAULT before zeroing anything.
    /// </remarks>
    (long Count, Error? Error) ZeroOut(IContext ctx, Addr addr, long toZero, IOOpts opts);

    /// <summary>Copies <c>ars.NumBytes</c> bytes read from <paramref name="src"/> to the memory mapped at <paramref name="ars"/>.</summary>
    /// <remarks>
    /// <para>
    /// The count may be less than the bytes read from <paramref name="src"/> if copying fails. The
    /// result may be partial without an error only if <c>src.ReadToBlocks</c> returned a partial read
    /// without one. <c>src.ReadToBlocks</c> is called at most once.
    /// </para>
    /// <para><b>Preconditions:</b> <c>src.ReadToBlocks</c> does not block on the memory manager's active lock or any lock before it.</para>
    /// </remarks>
    (long Count, Error? Error) CopyOutFrom(IContext ctx, AddrRangeSeq ars, IReader src, IOOpts opts);

    /// <summary>Copies <c>ars.NumBytes</c> bytes from the memory mapped at <paramref name="ars"/> to <paramref name="dst"/>.</summary>
    /// <remarks>
    /// <para>
    /// The result may be partial without an error only if <c>dst.WriteFromBlocks</c> returned a
    /// partial write without one. <c>dst.WriteFromBlocks</c> is called at most once.
    /// </para>
    /// <para><b>Preconditions:</b> <c>dst.WriteFromBlocks</c> does not block on the memory manager's active lock or any lock before it.</para>
    /// </remarks>
    (long Count, Error? Error) CopyInTo(IContext ctx, AddrRangeSeq ars, IWriter dst, IOOpts opts);

    /// <summary>Atomically stores <paramref name="newValue"/> at <paramref name="addr"/> and returns the previous value.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is 4-byte aligned (else <see cref="ArgumentException"/>).</remarks>
    (uint Value, Error? Error) SwapUint32(IContext ctx, Addr addr, uint newValue, IOOpts opts);

    /// <summary>
    /// Atomically replaces the value at <paramref name="addr"/> with <paramref name="newValue"/> if it
    /// equals <paramref name="oldValue"/>; returns the value found either way.
    /// </summary>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is 4-byte aligned (else <see cref="ArgumentException"/>).</remarks>
    (uint Value, Error? Error) CompareAndSwapUint32(IContext ctx, Addr addr, uint oldValue, uint newValue, IOOpts opts);

    /// <summary>Atomically loads the value at <paramref name="addr"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is 4-byte aligned (else <see cref="ArgumentException"/>).</remarks>
    (uint Value, Error? Error) LoadUint32(IContext ctx, Addr addr, IOOpts opts);
}
