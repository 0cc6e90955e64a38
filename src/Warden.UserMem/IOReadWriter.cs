using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.UserMem;

/// <summary>
/// A <see cref="Stream"/> that reads and writes an <see cref="IMemoryIO"/> from <see cref="Addr"/>
/// onwards, advancing the address by what it transfers.
/// </summary>
/// <remarks>
/// <para>
/// An address space has no end of file: a read returns 0 only if the IO reports
/// <see cref="WellKnownErrors.EndOfStream"/>. A read that copies some bytes returns them; one that
/// copies none because of an error throws an <see cref="ErrorException"/> (e.g. <see cref="Errno.EFAULT"/>
/// for unmapped memory). A write either copies everything or throws with the count written.
/// </para>
/// <para>
/// The address never wraps: once a transfer reaches the top of the address space, every later
/// read or write fails with <see cref="Errno.EFAULT"/>. Preconditions are those of
/// <see cref="IMemoryIO.CopyIn"/> and <see cref="IMemoryIO.CopyOut"/>. Not thread-safe.
/// </para>
/// </remarks>
public sealed class IOReadWriter : SequentialStream
{
    private bool _pastTop;

    /// <summary>Creates a stream over <paramref name="io"/> starting at <paramref name="addr"/>.</summary>
    public IOReadWriter(IContext ctx, IMemoryIO io, Addr addr, IOOpts opts = default)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(io);
        Ctx = ctx;
        IO = io;
        Addr = addr;
        Opts = opts;
    }

    /// <summary>The context passed to every copy.</summary>
    public IContext Ctx { get; }

    /// <summary>The memory read and written.</summary>
    public IMemoryIO IO { get; }

    /// <summary>The address of the next transfer.</summary>
    public Addr Addr { get; private set; }

    /// <summary>The options passed to every copy.</summary>
    public IOOpts Opts { get; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_pastTop)
        {
            throw new ErrorException(Errno.EFAULT);
        }
        (int n, Error? error) = IO.CopyIn(Ctx, Addr, buffer, Opts);
        Advance(n);
        if (n != 0 || ReferenceEquals(error, WellKnownErrors.EndOfStream))
        {
            return n;
        }
        throw new ErrorException(error ?? Errno.EFAULT);
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }
        if (_pastTop)
        {
            throw new ErrorException(Errno.EFAULT);
        }
        (int n, Error? error) = IO.CopyOut(Ctx, Addr, buffer, Opts);
        Advance(n);
        if (n < buffer.Length)
        {
            throw new ErrorException(error ?? Errno.EFAULT, n);
        }
    }

    private void Advance(int n)
    {
        (Addr end, bool ok) = Addr.AddLength((ulong)n);
        if (ok)
        {
            Addr = end;
        }
        else
        {
            Addr = Addr.MaxValue;
            _pastTop = true;
        }
    }
}
