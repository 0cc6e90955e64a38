using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>
/// An <see cref="IReader"/> over a host file descriptor: each call is one <c>preadv(2)</c> (at
/// <see cref="Offset"/>, which then advances) or one <c>readv(2)</c> (at the file's own position).
/// </summary>
/// <remarks>
/// A call reads into at most <c>IOV_MAX</c> blocks; a short read comes without an error. End of file
/// is <see cref="WellKnownErrors.EndOfStream"/>; a failed call returns its <see cref="Errno"/>. The
/// reader does not own the handle. Not thread-safe.
/// </remarks>
public sealed class HostFileReader : IReader
{
    private readonly SafeFileHandle _fd;

    /// <summary>Creates a reader that reads at the file's own position (<c>readv</c>).</summary>
    public HostFileReader(SafeFileHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        _fd = fd;
        Offset = -1;
    }

    /// <summary>Creates a reader that reads from <paramref name="offset"/> onwards (<c>preadv</c>).</summary>
    public HostFileReader(SafeFileHandle fd, long offset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        _fd = fd;
        Offset = offset;
    }

    /// <summary>The file offset of the next read, or -1 when reading at the file's own position.</summary>
    public long Offset { get; private set; }

    /// <inheritdoc/>
    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        if (dsts.IsEmpty)
        {
            return (0, null);
        }
        (long n, Errno? error) result = HostFileIO.Transfer(_fd, Offset, dsts, write: false);
        if (result.error is not null)
        {
            return (0, result.error);
        }
        if (result.n == 0)
        {
            return (0, WellKnownErrors.EndOfStream);
        }
        if (Offset >= 0)
        {
            Offset += result.n;
        }
        return ((ulong)result.n, null);
    }
}
