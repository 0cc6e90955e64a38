using System.Buffers;
using System.Text;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

public static partial class MemoryIOExtensions
{
    // The string overload starts with this much room on the stack and doubles from there, so short
    // strings (most paths and names) cost one allocation: the string itself.
    private const int CopyStringInitialBuffer = 256;

    // The span overload's first read, and how much longer each read is than everything read before
    // it (always within the page): 128, then 1 KiB, then the rest of the page.
    private const int CopyStringFirstRead = 128;
    private const int CopyStringReadGrowth = 8;

    /// <summary>
    /// Copies a NUL-terminated string of unknown length from the memory mapped at <paramref name="addr"/>
    /// and returns it without the NUL, decoded as UTF-8.
    /// </summary>
    /// <returns>
    /// The string and no error if a NUL was found within <paramref name="maxlen"/> bytes;
    /// the first <paramref name="maxlen"/> bytes and <see cref="Errno.ENAMETOOLONG"/> if not;
    /// the bytes read before a fault and its error (e.g. <see cref="Errno.EFAULT"/>) if one stopped the copy.
    /// </returns>
    /// <remarks>
    /// <para>
    /// Reads in growing chunks that never cross a page boundary and stop at the page holding the
    /// NUL, so an unmapped page after a short string is never touched. Bytes that are not valid UTF-8 decode to U+FFFD: callers that need
    /// the exact bytes (paths handed back to the host) use the <see cref="Span{T}"/> overload.
    /// </para>
    /// <para><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>; <paramref name="maxlen"/> &gt;= 0.</para>
    /// </remarks>
    public static (string Value, Error? Error) CopyStringIn(this IMemoryIO uio, IContext ctx, Addr addr, int maxlen, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(uio);
        ArgumentOutOfRangeException.ThrowIfNegative(maxlen);

        byte[]? rented = null;
        Span<byte> buffer = stackalloc byte[CopyStringInitialBuffer];
        int limit = Math.Min(maxlen, CopyStringInitialBuffer);
        int done = 0;
        try
        {
            while (true)
            {
                (Addr start, bool ok) = addr.AddLength((ulong)done);
                if (!ok)
                {
                    return (Encoding.UTF8.GetString(buffer[..done]), Errno.EFAULT);
                }
                (int n, Error? error) = uio.CopyStringIn(ctx, start, buffer[done..limit], opts);
                if (ReferenceEquals(error, Errno.ENAMETOOLONG) && limit < maxlen)
                {
                    // The buffer filled without a NUL but maxlen allows more: grow and go on.
                    done = limit;
                    limit = (int)Math.Min((long)limit * 2, maxlen);
                    byte[] larger = ArrayPool<byte>.Shared.Rent(limit);
                    buffer[..done].CopyTo(larger);
                    if (rented is not null)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                    rented = larger;
                    buffer = larger;
                    continue;
                }
                return (Encoding.UTF8.GetString(buffer[..(done + n)]), error);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Copies a NUL-terminated string from the memory mapped at <paramref name="addr"/> into
    /// <paramref name="buffer"/>, without the NUL, reading at most <c>buffer.Length</c> bytes
    /// (so <c>maxlen</c> is the buffer's length). Allocates nothing.
    /// </summary>
    /// <returns>
    /// The string's length and no error if a NUL was found; <c>buffer.Length</c> and
    /// <see cref="Errno.ENAMETOOLONG"/> if the buffer filled without one; the bytes read before a
    /// fault and its error if one stopped the copy. The bytes are in <c>buffer[..Length]</c> in every case.
    /// </returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.</remarks>
    public static (int Length, Error? Error) CopyStringIn(this IMemoryIO uio, IContext ctx, Addr addr, Span<byte> buffer, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(uio);
        int done = 0;
        while (done < buffer.Length)
        {
            (Addr start, bool ok) = addr.AddLength((ulong)done);
            if (!ok)
            {
                // Past the top of the address space: nothing can be mapped there.
                return (done, Errno.EFAULT);
            }
            // Never read past the end of the current page: the next one may be unmapped even though
            // the string ends on this one. Start small and grow fast, so a short string (most paths)
            // costs a short copy, and a long one only a few reads.
            int wanted = (int)Math.Min(Math.Max(CopyStringFirstRead, (long)done * CopyStringReadGrowth), int.MaxValue);
            int chunk = (int)Math.Min((ulong)Math.Min(buffer.Length - done, wanted), Arch.PageSize - start.PageOffset);
            (int n, Error? error) = uio.CopyIn(ctx, start, buffer.Slice(done, chunk), opts);
            int nul = buffer.Slice(done, n).IndexOf((byte)0);
            if (nul >= 0)
            {
                return (done + nul, null);
            }
            done += n;
            if (error is not null)
            {
                return (done, error);
            }
        }
        return (done, Errno.ENAMETOOLONG);
    }
}
