using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>
/// An <see cref="IWriter"/> over a host file descriptor: each call is one <c>pwritev(2)</c> (at
/// <see cref="HostFileTransfer.Offset"/>, which then advances) or one <c>writev(2)</c> (at the
/// file's own position).
/// </summary>
/// <remarks>
/// A call writes from at most <c>IOV_MAX</c> blocks; a short write comes without an error. A failed
/// call returns its <see cref="Errno"/>. The writer does not own the handle. Not thread-safe.
/// </remarks>
public sealed class HostFileWriter : HostFileTransfer, IWriter
{
    /// <summary>Creates a writer that writes at the file's own position (<c>writev</c>).</summary>
    public HostFileWriter(SafeFileHandle fd)
        : base(fd, -1)
    {
    }

    /// <summary>Creates a writer that writes from <paramref name="offset"/> onwards (<c>pwritev</c>).</summary>
    public HostFileWriter(SafeFileHandle fd, long offset)
        : base(fd, CheckOffset(offset))
    {
    }

    /// <inheritdoc/>
    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        if (srcs.IsEmpty)
        {
            return (0, null);
        }
        (long n, Errno? error) = Transfer(srcs, write: true);
        return error is not null ? (0, error) : ((ulong)n, null);
    }
}
