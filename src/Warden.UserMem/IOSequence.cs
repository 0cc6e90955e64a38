using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.UserMem;

/// <summary>
/// The arguments of a sequential I/O: an <see cref="IMemoryIO"/>, the address ranges to operate on
/// in order, and the options (gVisor's <c>usermem.IOSequence</c>, Linux's <c>iov_iter</c>).
/// </summary>
/// <remarks>
/// A value type: advancing (<see cref="DropFirst64"/>) returns a new sequence. Operations on a
/// single range allocate nothing.
/// </remarks>
public readonly struct IOSequence
{
    /// <summary>Returned by a <see cref="Writer"/> asked to write beyond the end of the sequence.</summary>
    public static readonly SentinelError EndOfIOSequence = new("write beyond end of IOSequence");

    /// <summary>Creates a sequence over <paramref name="addrs"/> in <paramref name="io"/>.</summary>
    /// <example>
    /// What a <c>write(2)</c> handler does with the program's buffer: a sequence over
    /// <c>[buf, buf+count)</c> of the program's memory (a <c>MemoryManager</c> is an
    /// <see cref="IMemoryIO"/>), copied in without ever touching the raw pointer. A fault is an error in
    /// the result, with the bytes copied before it counted.
    /// <code language="csharp">
    /// var src = new IOSequence(mm, AddrRangeSeq.Of(new AddrRange(new Addr(buf), new Addr(buf + count))));
    /// var bytes = new byte[src.NumBytes];
    /// (int n, Error? error) = src.CopyIn(ctx, bytes);
    /// </code>
    /// </example>
    public IOSequence(IMemoryIO io, AddrRangeSeq addrs, IOOpts opts = default)
    {
        ArgumentNullException.ThrowIfNull(io);
        IO = io;
        Addrs = addrs;
        Opts = opts;
    }

    /// <summary>The memory the sequence addresses.</summary>
    public IMemoryIO IO { get; }

    /// <summary>The address ranges, in order.</summary>
    public AddrRangeSeq Addrs { get; }

    /// <summary>The options passed to every operation.</summary>
    public IOOpts Opts { get; }

    /// <summary>Returns a sequence over all of <paramref name="bytes"/>'s buffer.</summary>
    public static IOSequence BytesIOSequence(BytesIO bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new IOSequence(bytes, AddrRangeSeq.Of(new AddrRange(Addr.Zero, new Addr((ulong)bytes.Bytes.Length))));
    }

    /// <summary>The number of bytes in the sequence.</summary>
    /// <remarks>
    /// May be 0 even though <c>Addrs.IsEmpty</c> is false, when the sequence holds zero-length ranges;
    /// a zero-length I/O should still check <c>Addrs.IsEmpty</c> where Linux would fault.
    /// </remarks>
    public long NumBytes => Addrs.NumBytes;

    /// <summary>Returns the sequence without its first <paramref name="n"/> bytes.</summary>
    public IOSequence DropFirst(int n) => new(IO, Addrs.DropFirst(n), Opts);

    /// <inheritdoc cref="DropFirst(int)"/>
    public IOSequence DropFirst64(long n) => new(IO, Addrs.DropFirst64(n), Opts);

    /// <summary>Returns the sequence limited to its first <paramref name="n"/> bytes.</summary>
    public IOSequence TakeFirst(int n) => new(IO, Addrs.TakeFirst(n), Opts);

    /// <inheritdoc cref="TakeFirst(int)"/>
    public IOSequence TakeFirst64(long n) => new(IO, Addrs.TakeFirst64(n), Opts);

    /// <summary>Copies from the sequence to <paramref name="dst"/> (see <see cref="MemoryIOExtensions.CopyInVec"/>).</summary>
    /// <remarks>If the sequence is shorter than <paramref name="dst"/>, the copy stops at its end without an error.</remarks>
    public (int Count, Error? Error) CopyIn(IContext ctx, Span<byte> dst) => IO.CopyInVec(ctx, Addrs, dst, Opts);

    /// <summary>Copies <paramref name="src"/> into the sequence (see <see cref="MemoryIOExtensions.CopyOutVec"/>).</summary>
    /// <remarks>If the sequence is shorter than <paramref name="src"/>, the copy stops at its end without an error.</remarks>
    public (int Count, Error? Error) CopyOut(IContext ctx, ReadOnlySpan<byte> src) => IO.CopyOutVec(ctx, Addrs, src, Opts);

    /// <summary>Zeroes up to <paramref name="toZero"/> bytes of the sequence (see <see cref="MemoryIOExtensions.ZeroOutVec"/>).</summary>
    /// <remarks>If the sequence is shorter than <paramref name="toZero"/>, zeroing stops at its end without an error.</remarks>
    public (long Count, Error? Error) ZeroOut(IContext ctx, long toZero) => IO.ZeroOutVec(ctx, Addrs, toZero, Opts);

    /// <summary>Copies the whole sequence to <paramref name="dst"/> (see <see cref="IMemoryIO.CopyInTo"/>).</summary>
    public (long Count, Error? Error) CopyInTo(IContext ctx, IWriter dst) => IO.CopyInTo(ctx, Addrs, dst, Opts);

    /// <summary>Fills the whole sequence from <paramref name="src"/> (see <see cref="IMemoryIO.CopyOutFrom"/>).</summary>
    public (long Count, Error? Error) CopyOutFrom(IContext ctx, IReader src) => IO.CopyOutFrom(ctx, Addrs, src, Opts);

    /// <summary>
    /// Returns a read-only stream over the sequence: reads advance through it and return 0 at its
    /// end; a failed copy throws an <see cref="ErrorException"/>.
    /// </summary>
    public Stream Reader(IContext ctx) => new IOSequenceReadWriter(ctx, this, canRead: true, canWrite: false);

    /// <summary>
    /// Returns a write-only stream over the sequence: writes advance through it; writing past its end
    /// throws an <see cref="ErrorException"/> carrying <see cref="EndOfIOSequence"/>.
    /// </summary>
    public Stream Writer(IContext ctx) => new IOSequenceReadWriter(ctx, this, canRead: false, canWrite: true);

    /// <inheritdoc/>
    public override string ToString() => $"IOSequence {Addrs} ({NumBytes} bytes)";
}
