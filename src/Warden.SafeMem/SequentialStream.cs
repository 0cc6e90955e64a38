namespace Warden.SafeMem;

/// <summary>
/// A <see cref="Stream"/> that moves bytes in one direction and cannot seek. Derived classes
/// implement the span overloads of <see cref="Stream.Read(Span{byte})"/> and/or
/// <see cref="Stream.Write(ReadOnlySpan{byte})"/>; every other overload routes to them.
/// </summary>
public abstract class SequentialStream : Stream
{
    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException("This stream has no length.");

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException("This stream has no position.");
        set => throw new NotSupportedException("This stream cannot seek.");
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("This stream cannot seek.");

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException("This stream has no length.");

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer) => throw new NotSupportedException("This stream cannot be read.");

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("This stream cannot be written.");
}
