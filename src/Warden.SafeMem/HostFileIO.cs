using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.SafeMem;

/// <summary>One vectored system call over the blocks of a <see cref="BlockSeq"/>.</summary>
internal static unsafe class HostFileIO
{
    // Vectors with at most this many blocks are built on the stack.
    private const int StackIovecs = 32;

    /// <summary>
    /// Reads into (or, if <paramref name="write"/>, writes from) the first <c>IOV_MAX</c> blocks of
    /// <paramref name="blocks"/> with one <c>readv</c>/<c>writev</c> (when <paramref name="offset"/>
    /// is negative) or <c>preadv</c>/<c>pwritev</c> at <paramref name="offset"/>.
    /// </summary>
    /// <returns>The bytes transferred, or the errno of the failed call.</returns>
    public static (long Count, Errno? Error) Transfer(SafeFileHandle fd, long offset, BlockSeq blocks, bool write)
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
        fixed (Iovec* iov = iovecs)
        {
            return (write, offset < 0) switch
            {
                (false, true) => Libc.Readv(fd, iov, count),
                (false, false) => Libc.Preadv(fd, iov, count, offset),
                (true, true) => Libc.Writev(fd, iov, count),
                (true, false) => Libc.Pwritev(fd, iov, count, offset),
            };
        }
    }
}
