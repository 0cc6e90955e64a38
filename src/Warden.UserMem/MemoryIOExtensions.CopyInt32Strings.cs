using System.Buffers;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

public static partial class MemoryIOExtensions
{
    /// <summary>
    /// Reads up to <c>dsts.Length</c> whitespace-separated decimal integers from the memory mapped at
    /// <paramref name="ars"/> into <paramref name="dsts"/>, as Linux's <c>proc_dointvec</c> does for a
    /// write to a sysctl file.
    /// </summary>
    /// <returns>The number of bytes consumed, and an error if the input was not acceptable.</returns>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Leading ASCII whitespace before each value is skipped; a value is an optional <c>+</c> or
    /// <c>-</c> followed by decimal digits, ending at whitespace or the end of the input.</item>
    /// <item>A value outside the range of <see cref="int"/>, or any other character, is <see cref="Errno.EINVAL"/>
    /// (values parsed before it are already stored).</item>
    /// <item>Reaching the end of the input with fewer than <c>dsts.Length</c> values is fine if at
    /// least one was read, and <see cref="Errno.EINVAL"/> otherwise (so empty input is EINVAL).</item>
    /// <item>Whitespace after the last value read counts in the bytes consumed.</item>
    /// <item>A copy fault returns its error with the bytes consumed up to the fault.</item>
    /// <item>Unlike Linux, the input is not limited to a page: callers that want that limit apply it.
    /// Input longer than <see cref="Array.MaxLength"/> is <see cref="Errno.ENOMEM"/>.</item>
    /// <item>If <paramref name="dsts"/> is empty nothing is read and the result is (0, no error).</item>
    /// </list>
    /// <para><b>Preconditions:</b> as for <see cref="CopyInVec"/>.</para>
    /// </remarks>
    public static (long Count, Error? Error) CopyInt32StringsInVec(this IMemoryIO uio, IContext ctx, AddrRangeSeq ars, Span<int> dsts, IOOpts opts)
    {
        ArgumentNullException.ThrowIfNull(uio);
        if (dsts.IsEmpty)
        {
            return (0, null);
        }
        if (ars.NumBytes > Array.MaxLength)
        {
            return (0, Errno.ENOMEM);
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)ars.NumBytes);
        try
        {
            (int copied, Error? copyError) = uio.CopyInVec(ctx, ars, rented.AsSpan(0, (int)ars.NumBytes), opts);
            return ParseInt32Strings(rented.AsSpan(0, copied), dsts, copyError);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Like <see cref="CopyInt32StringsInVec"/> with room for a single value: on success
    /// <paramref name="dst"/> holds it; otherwise it is left as it was.
    /// </summary>
    public static (long Count, Error? Error) CopyInt32StringInVec(this IMemoryIO uio, IContext ctx, AddrRangeSeq ars, ref int dst, IOOpts opts)
    {
        Span<int> one = [dst];
        (long count, Error? error) = uio.CopyInt32StringsInVec(ctx, ars, one, opts);
        dst = one[0];
        return (count, error);
    }

    private static (long Count, Error? Error) ParseInt32Strings(ReadOnlySpan<byte> text, Span<int> dsts, Error? copyError)
    {
        int i = 0;
        int parsed = 0;
        for (; parsed < dsts.Length; parsed++)
        {
            while (i < text.Length && IsAsciiWhitespace(text[i]))
            {
                i++;
            }
            if (i == text.Length)
            {
                break;
            }
            int end = i + 1;
            while (end < text.Length && !IsAsciiWhitespace(text[end]))
            {
                end++;
            }
            if (!TryParseDecimalInt32(text[i..end], out int value))
            {
                return (i, Errno.EINVAL);
            }
            dsts[parsed] = value;
            i = end;
        }
        while (i < text.Length && IsAsciiWhitespace(text[i]))
        {
            i++;
        }
        if (copyError is not null)
        {
            return (i, copyError);
        }
        return parsed == 0 ? (i, Errno.EINVAL) : (i, null);
    }

    // An optional '+' or '-' and one or more ASCII digits, nothing else, within the range of int.
    // (The runtime's parsers accept more, e.g. trailing NULs, which Linux rejects.)
    private static bool TryParseDecimalInt32(ReadOnlySpan<byte> token, out int value)
    {
        value = 0;
        bool negative = token[0] == (byte)'-';
        int i = token[0] is (byte)'-' or (byte)'+' ? 1 : 0;
        if (i == token.Length)
        {
            return false;
        }
        long magnitude = 0;
        for (; i < token.Length; i++)
        {
            uint digit = (uint)(token[i] - (byte)'0');
            if (digit > 9)
            {
                return false;
            }
            magnitude = magnitude * 10 + digit;
            if (magnitude > -(long)int.MinValue)
            {
                return false;
            }
        }
        long signed = negative ? -magnitude : magnitude;
        if (signed > int.MaxValue)
        {
            return false;
        }
        value = (int)signed;
        return true;
    }

    // Linux's isspace() in the C locale: space, \t, \n, \v, \f, \r.
    private static bool IsAsciiWhitespace(byte b) => b == (byte)' ' || (b >= (byte)'\t' && b <= (byte)'\r');
}
