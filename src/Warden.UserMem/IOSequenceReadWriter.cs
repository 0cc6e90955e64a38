using Warden.Contexts;
using Warden.Errors;
using Warden.SafeMem;

namespace Warden.UserMem;

/// <summary>A <see cref="Stream"/> that reads and writes through an <see cref="IOSequence"/>, advancing through it.</summary>
/// <remarks>
/// Reads and writes share one position. A read returns what it copied (0 at the end of the
/// sequence); a read that copies nothing because of an error throws an <see cref="ErrorException"/>.
/// A write either copies every byte or throws an <see cref="ErrorException"/> with the copy's error
/// (<see cref="IOSequence.EndOfIOSequence"/> past the end) and the count written. Not thread-safe.
/// </remarks>
public sealed class IOSequenceReadWriter : SequentialStream
{
    private readonly bool _canRead;
    private readonly bool _canWrite;
    private IContext _ctx;
    private IOSequence _seq;

    /// <summary>Creates a stream over <paramref name="seq"/>.</summary>
    public IOSequenceReadWriter(IContext ctx, IOSequence seq)
        : this(ctx, seq, canRead: true, canWrite: true)
    {
    }

    internal IOSequenceReadWriter(IContext ctx, IOSequence seq, bool canRead, bool canWrite)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        _ctx = ctx;
        _seq = seq;
        _canRead = canRead;
        _canWrite = canWrite;
    }

    /// <summary>Restarts the stream over <paramref name="seq"/>.</summary>
    public void Init(IContext ctx, IOSequence seq)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        _ctx = ctx;
        _seq = seq;
    }

    /// <summary>The bytes left in the sequence (at most <see cref="int.MaxValue"/>).</summary>
    public int Len => (int)Math.Min(_seq.NumBytes, int.MaxValue);

    /// <summary>The part of the sequence not yet read or written.</summary>
    public IOSequence Remaining => _seq;

    /// <inheritdoc/>
    public override bool CanRead => _canRead;

    /// <inheritdoc/>
    public override bool CanWrite => _canWrite;

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (!_canRead)
        {
            return base.Read(buffer);
        }
        (int n, Error? error) = _seq.CopyIn(_ctx, buffer);
        _seq = _seq.DropFirst(n);
        if (n == 0 && error is not null && !ReferenceEquals(error, WellKnownErrors.EndOfStream))
        {
            throw new ErrorException(error);
        }
        return n;
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_canWrite)
        {
            base.Write(buffer);
            return;
        }
        (int n, Error? error) = _seq.CopyOut(_ctx, buffer);
        _seq = _seq.DropFirst(n);
        if (n < buffer.Length)
        {
            throw new ErrorException(error ?? IOSequence.EndOfIOSequence, n);
        }
    }
}
