using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

/// <summary>
/// The seed's copy helpers over any <see cref="IMemoryIO"/> (usermem's package-level functions),
/// one family per file.
/// </summary>
public static partial class MemoryIOExtensions
{
    /// <summary>
    /// Copies bytes from the memory mapped at <paramref name="ars"/> to <paramref name="dst"/>, at most
    /// <c>min(ars.NumBytes, dst.Length)</c>.
    /// </summary>
    /// <returns>The count copied; an error only if that is less than the maximum.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.</remarks>
    public static (int Count, Error? Error) CopyInVec(this IMemoryIO uio, IContext ctx, AddrRangeSeq ars, Span<byte> dst, IOOpts opts)
    {
        int done = 0;
        while (!ars.IsEmpty && done < dst.Length)
        {
            AddrRange range = ars.Head;
            int chunk = (int)Math.Min((ulong)(dst.Length - done), range.Length);
            (int n, Error? error) = uio.CopyIn(ctx, range.Start, dst.Slice(done, chunk), opts);
            done += n;
            if (error is not null)
            {
                return (done, error);
            }
            ars = ars.Tail();
        }
        return (done, null);
    }

    /// <summary>
    /// Copies bytes from <paramref name="src"/> to the memory mapped at <paramref name="ars"/>, at most
    /// <c>min(ars.NumBytes, src.Length)</c>.
    /// </summary>
    /// <returns>The count copied; an error only if that is less than the maximum.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyOut"/>.</remarks>
    public static (int Count, Error? Error) CopyOutVec(this IMemoryIO uio, IContext ctx, AddrRangeSeq ars, ReadOnlySpan<byte> src, IOOpts opts)
    {
        int done = 0;
        while (!ars.IsEmpty && done < src.Length)
        {
            AddrRange range = ars.Head;
            int chunk = (int)Math.Min((ulong)(src.Length - done), range.Length);
            (int n, Error? error) = uio.CopyOut(ctx, range.Start, src.Slice(done, chunk), opts);
            done += n;
            if (error is not null)
            {
                return (done, error);
            }
            ars = ars.Tail();
        }
        return (done, null);
    }

    /// <summary>
    /// Sets to zero the memory mapped at <paramref name="ars"/>, at most
    /// <c>min(ars.NumBytes, toZero)</c> bytes.
    /// </summary>
    /// <returns>The count zeroed; an error only if that is less than the maximum.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.ZeroOut"/>.</remarks>
    public static (long Count, Error? Error) ZeroOutVec(this IMemoryIO uio, IContext ctx, AddrRangeSeq ars, long toZero, IOOpts opts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(toZero);
        long done = 0;
        while (!ars.IsEmpty && done < toZero)
        {
            AddrRange range = ars.Head;
            long chunk = (long)Math.Min((ulong)(toZero - done), range.Length);
            (long n, Error? error) = uio.ZeroOut(ctx, range.Start, chunk, opts);
            done += n;
            if (error is not null)
            {
                return (done, error);
            }
            ars = ars.Tail();
        }
        return (done, null);
    }
}
