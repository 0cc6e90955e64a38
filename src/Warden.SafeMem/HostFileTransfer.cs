using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.SafeMem;

/// <summary>
/// What <see cref="HostFileReader"/> and <see cref="HostFileWriter"/> share: a host file descriptor,
/// an optional offset, and one vectored system call per transfer.
/// </summary>
/// <remarks>
/// Each transfer moves the first <c>IOV_MAX</c> blocks at most, with <c>readv</c>/<c>writev</c> at
/// the file's own position or <c>preadv</c>/<c>pwritev</c> at <see cref="Offset"/> (which then
/// advances). The handle is not owned. Not thread-safe.
/// </remarks>
public abstract unsafe class HostFileTransfer
{
    // Vectors with at most this many blocks are built on the stack.
    private const int StackIovecs = 32;

    private readonly SafeFileHandle _fd;

    private protected HostFileTransfer(SafeFileHandle fd, long offset)
    {
        ArgumentNullException.ThrowIfNull(fd);
        _fd = fd;
        Offset = offset;
    }

    /// <summary>The file offset of the next transfer, or -1 when transferring at the file's own position.</summary>
    public long Offset { get; private set; }

    /// <summary>Checks an offset given to a derived class's constructor.</summary>
    private protected static long CheckOffset(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return offset;
    }

    /// <summary>Reads into (or, if <paramref name="write"/>, writes from) <paramref name="blocks"/> with one system call.</summary>
    /// <returns>The bytes transferred, or the errno of the failed call.</returns>
    private protected (long Count, Errno? Error) Transfer(BlockSeq blocks, bool write)
    {
        int count = Math.Min(blocks.NumBlocks, Iovec.IovMax);
        Span<Iovec> iovecs = count <= StackIovecs ? stackalloc Iovec[count] : new Iovec[count];
        int i = 0;
        foreach (Block block in blocks)
        {
            if (i == count)
            {
                break;
            }
            iovecs[i].Base = (void*)block.Address;
            iovecs[i].Length = (nuint)block.Length;
            i++;
        }
        (long n, Errno? error) result;
        fixed (Iovec* iov = iovecs)
        {
            result = (write, Offset < 0) switch
            {
                (false, true) => Libc.Readv(_fd, iov, count),
                (false, false) => Libc.Preadv(_fd, iov, count, Offset),
                (true, true) => Libc.Writev(_fd, iov, count),
                (true, false) => Libc.Pwritev(_fd, iov, count, Offset),
            };
        }
        if (result.error is null && Offset >= 0)
        {
            Offset += result.n;
        }
        return result;
    }
}
