using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>
/// An <see cref="IWriter"/> over a host file descriptor: each call is one <c>pwritev(2)</c> (at
/// <see cref="Offset"/>, which then advances) or one <c>writev(2)</c> (at the file's own position).
/// </summary>
/// <remarks>
/// A call writes from at most <c>IOV_MAX</c> blocks; a short write comes without an error. A failed
/// call returns its <see cref="Errno"/>. The writer does not own the handle. Not thread-safe.
/// </remarks>
public sealed class HostFileWriter : IWriter
{
    private readonly SafeFileHandle _fd;

    /// <summary>Creates a writer that writes at the file's own position (<c>writev</c>).</summary>
    public HostFileWriter(SafeFileHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        _fd = fd;
        Offset = -1;
    }

    /// <summary>Creates a writer that writes from <paramref name="offset"/> onwards (<c>pwritev</c>).</summary>
    public HostFileWriter(SafeFileHandle fd, long offset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _fd = fd;
        Offset = offset;
    }

    /// <summary>The file offset of the next write, or -1 when writing at the file's own position.</summary>
    public long Offset { get; private set; }

    /// <inheritdoc/>
    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        if (srcs.IsEmpty)
        {
            return (0, null);
        }
        (long n, Errno? error) result = HostFileIO.Transfer(_fd, Offset, srcs, write: true);
        if (result.error is not null)
        {
            return (0, result.error);
        }
        if (Offset >= 0)
        {
            Offset += result.n;
        }
        return ((ulong)result.n, null);
    }
}
