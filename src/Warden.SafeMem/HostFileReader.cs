using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>
/// An <see cref="IReader"/> over a host file descriptor: each call is one <c>preadv(2)</c> (at
/// <see cref="HostFileTransfer.Offset"/>, which then advances) or one <c>readv(2)</c> (at the
/// file's own position).
/// </summary>
/// <remarks>
/// A call reads into at most <c>IOV_MAX</c> blocks; a short read comes without an error. End of file
/// is <see cref="WellKnownErrors.EndOfStream"/>; a failed call returns its <see cref="Errno"/>. The
/// reader does not own the handle. Not thread-safe.
/// </remarks>
public sealed class HostFileReader : HostFileTransfer, IReader
{
    /// <summary>Creates a reader that reads at the file's own position (<c>readv</c>).</summary>
    public HostFileReader(SafeFileHandle fd)
        : base(fd, -1)
    {
    }

    /// <summary>Creates a reader that reads from <paramref name="offset"/> onwards (<c>preadv</c>).</summary>
    public HostFileReader(SafeFileHandle fd, long offset)
        : base(fd, CheckOffset(offset))
    {
    }

    /// <inheritdoc/>
    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        if (dsts.IsEmpty)
        {
            return (0, null);
        }
        (long n, Errno? error) = Transfer(dsts, write: false);
        if (error is not null)
        {
            return (0, error);
        }
        return n == 0 ? (0, WellKnownErrors.EndOfStream) : ((ulong)n, null);
    }
}
