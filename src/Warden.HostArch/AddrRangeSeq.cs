using System.Diagnostics.CodeAnalysis;
using System.Text;
using Warden.Errors;

namespace Warden.HostArch;

/// <summary>
/// An immutable sequence of address ranges, operated on in order (the shape of Linux's
/// <c>struct iov_iter</c> over user memory).
/// </summary>
/// <remarks>
/// <para>
/// A sequence of one range stores it inline and allocates nothing; a longer one is a window onto
/// an array, which must not be modified once a sequence uses it. Every operation is O(1) except
/// construction from an array and <see cref="DropFirst64"/>, which are linear in the ranges they pass.
/// The layout (an inline head already trimmed at both ends, then a window onto the array whose
/// ranges are limited as they become the head) is <c>BlockSeq</c>'s too.
/// </para>
/// <para>
/// Zero-length ranges are kept: a sequence may hold ranges yet <see cref="NumBytes"/> 0, and
/// <see cref="TakeFirst64"/> shortens ranges (to zero length where needed) without removing them.
/// </para>
/// </remarks>
public readonly struct AddrRangeSeq
{
    // The first range, already shortened by DropFirst at its start and by the byte limit at its end.
    private readonly AddrRange _head;

    // The ranges after the head are _rest[_restIndex .. _restIndex + _count - 1), not yet limited.
    private readonly AddrRange[]? _rest;
    private readonly int _restIndex;

    // The number of ranges, head included.
    private readonly int _count;

    // The number of bytes in all ranges, after limiting; never more than their summed length.
    private readonly long _numBytes;

    /// <summary>Creates a sequence of the single range <paramref name="range"/>; allocates nothing.</summary>
    /// <exception cref="ArgumentException">The range is not well formed or is longer than <see cref="long.MaxValue"/>.</exception>
    public AddrRangeSeq(AddrRange range)
    {
        _numBytes = CheckedLength(range);
        _head = range;
        _count = 1;
    }

    private AddrRangeSeq(AddrRange head, AddrRange[]? rest, int restIndex, int count, long numBytes)
    {
        _head = head;
        _rest = rest;
        _restIndex = restIndex;
        _count = count;
        _numBytes = numBytes;
    }

    /// <summary>The empty sequence.</summary>
    public static AddrRangeSeq Empty => default;

    /// <summary>Returns a sequence of the single range <paramref name="range"/>; allocates nothing.</summary>
    /// <exception cref="ArgumentException">The range is not well formed or is longer than <see cref="long.MaxValue"/>.</exception>
    public static AddrRangeSeq Of(AddrRange range) => new(range);

    /// <summary>Returns a sequence of all the ranges in <paramref name="ranges"/>.</summary>
    /// <remarks>The sequence keeps the array: the caller must not modify it afterwards.</remarks>
    /// <exception cref="ArgumentException">A range is not well formed, or the total length exceeds <see cref="long.MaxValue"/>.</exception>
    public static AddrRangeSeq FromArray(AddrRange[] ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        return FromArray(ranges, 0, ranges.Length);
    }

    /// <summary>Returns a sequence of <paramref name="count"/> ranges of <paramref name="ranges"/> from <paramref name="start"/>.</summary>
    /// <remarks>The sequence keeps the array: the caller must not modify that part of it afterwards.</remarks>
    /// <exception cref="ArgumentException">A range is not well formed, or the total length exceeds <see cref="long.MaxValue"/>.</exception>
    public static AddrRangeSeq FromArray(AddrRange[] ranges, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, ranges.Length - start);
        if (count == 0)
        {
            return default;
        }
        long total = 0;
        for (int i = start; i < start + count; i++)
        {
            long length = CheckedLength(ranges[i]);
            if (length > long.MaxValue - total)
            {
                throw new ArgumentException("The total length of the ranges exceeds Int64.MaxValue.", nameof(ranges));
            }
            total += length;
        }
        return new AddrRangeSeq(ranges[start], ranges, start + 1, count, total);
    }

    /// <summary>Whether the sequence holds no range at all (not even a zero-length one).</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>The number of ranges, zero-length ones included.</summary>
    public int NumRanges => _count;

    /// <summary>The number of bytes in all the ranges.</summary>
    public long NumBytes => _numBytes;

    /// <summary>The first range.</summary>
    /// <exception cref="InvalidOperationException">The sequence is empty.</exception>
    public AddrRange Head
    {
        get
        {
            if (_count == 0)
            {
                ThrowEmpty();
            }
            return _head;
        }
    }

    /// <summary>Returns the sequence without its first range.</summary>
    /// <exception cref="InvalidOperationException">The sequence is empty.</exception>
    public AddrRangeSeq Tail()
    {
        if (_count == 0)
        {
            ThrowEmpty();
        }
        if (_count == 1)
        {
            return default;
        }
        long remaining = _numBytes - (long)_head.Length;
        AddrRange next = Limit(_rest![_restIndex], remaining);
        return new AddrRangeSeq(next, _rest, _restIndex + 1, _count - 1, remaining);
    }

    /// <summary>Returns the sequence without its first <paramref name="n"/> bytes.</summary>
    /// <remarks>
    /// Zero-length ranges at the head are always dropped, even when <paramref name="n"/> is 0, and so
    /// is every range the drop empties: the loop "transfer to <see cref="Head"/>, then
    /// <c>DropFirst(transferred)</c>" therefore ends on sequences that hold zero-length ranges.
    /// Dropping more than <see cref="NumBytes"/> leaves the empty sequence.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public AddrRangeSeq DropFirst(int n) => DropFirst64(n);

    /// <inheritdoc cref="DropFirst(int)"/>
    public AddrRangeSeq DropFirst64(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        AddrRangeSeq seq = this;
        while (seq._count != 0)
        {
            ulong headLength = seq._head.Length;
            if (headLength > (ulong)n)
            {
                if (n == 0)
                {
                    return seq;
                }
                AddrRange head = seq._head with { Start = new Addr(seq._head.Start.Value + (ulong)n) };
                return new AddrRangeSeq(head, seq._rest, seq._restIndex, seq._count, seq._numBytes - n);
            }
            n -= (long)headLength;
            seq = seq.Tail();
        }
        return seq;
    }

    /// <summary>Returns the sequence limited to its first <paramref name="n"/> bytes.</summary>
    /// <remarks>The number of ranges does not change: ranges past the limit become zero-length.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public AddrRangeSeq TakeFirst(int n) => TakeFirst64(n);

    /// <inheritdoc cref="TakeFirst(int)"/>
    public AddrRangeSeq TakeFirst64(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n >= _numBytes)
        {
            return this;
        }
        return new AddrRangeSeq(Limit(_head, n), _rest, _restIndex, _count, n);
    }

    /// <summary>Enumerates the ranges in order (as successive <see cref="Head"/>s).</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Formats as <c>{[0x1000, 0x2000) [0x3000, 0x3008)}</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder("{");
        foreach (AddrRange range in this)
        {
            if (builder.Length > 1)
            {
                builder.Append(' ');
            }
            builder.Append(range.ToString());
        }
        return builder.Append('}').ToString();
    }

    private static AddrRange Limit(AddrRange range, long limit) =>
        range.Length > (ulong)limit ? range with { End = new Addr(range.Start.Value + (ulong)limit) } : range;

    private static long CheckedLength(AddrRange range)
    {
        if (!range.WellFormed)
        {
            ThrowBadRange(range, "is not well formed");
        }
        if (range.Length > long.MaxValue)
        {
            ThrowBadRange(range, "is longer than Int64.MaxValue bytes");
        }
        return (long)range.Length;
    }

    [DoesNotReturn]
    private static void ThrowEmpty() => ThrowHelper.ThrowInvalidOperation("The AddrRangeSeq is empty.");

    [DoesNotReturn]
    private static void ThrowBadRange(AddrRange range, string problem) =>
        ThrowHelper.ThrowArgument(nameof(range), "The address range {0} {1}.", range, problem);

    /// <summary>Enumerates the ranges of an <see cref="AddrRangeSeq"/> without allocating.</summary>
    public struct Enumerator
    {
        private AddrRangeSeq _remaining;
        private AddrRange _current;

        internal Enumerator(AddrRangeSeq seq) => _remaining = seq;

        /// <summary>The current range.</summary>
        public readonly AddrRange Current => _current;

        /// <summary>Advances to the next range.</summary>
        public bool MoveNext()
        {
            if (_remaining.IsEmpty)
            {
                return false;
            }
            _current = _remaining._head;
            _remaining = _remaining.Tail();
            return true;
        }
    }
}
