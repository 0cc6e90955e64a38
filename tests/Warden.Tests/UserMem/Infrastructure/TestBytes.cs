using Warden.HostArch;

namespace Warden.Tests.UserMem.Infrastructure;

/// <summary>Small helpers for building test data and address ranges.</summary>
public static class TestBytes
{
    /// <summary>A recognisable pattern of <paramref name="length"/> bytes, none of them zero.</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(1 + ((i * 7) + (seed * 31)) % 255);
        }
        return bytes;
    }

    /// <summary><paramref name="length"/> copies of <paramref name="value"/>.</summary>
    public static byte[] Filled(int length, byte value)
    {
        byte[] bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    /// <summary>The range <c>[start, end)</c>.</summary>
    public static AddrRange R(ulong start, ulong end) => new(new Addr(start), new Addr(end));

    /// <summary>A sequence of the ranges given as (start, end) pairs.</summary>
    public static AddrRangeSeq Seq(params (ulong Start, ulong End)[] ranges)
    {
        if (ranges.Length == 1)
        {
            return AddrRangeSeq.Of(R(ranges[0].Start, ranges[0].End));
        }
        var array = new AddrRange[ranges.Length];
        for (int i = 0; i < ranges.Length; i++)
        {
            array[i] = R(ranges[i].Start, ranges[i].End);
        }
        return AddrRangeSeq.FromArray(array);
    }

    /// <summary>The ranges of <paramref name="seq"/> as (start, end) pairs, in order.</summary>
    public static List<(ulong Start, ulong End)> Ranges(AddrRangeSeq seq)
    {
        var list = new List<(ulong, ulong)>();
        foreach (AddrRange range in seq)
        {
            list.Add((range.Start.Value, range.End.Value));
        }
        return list;
    }

    /// <summary>The bytes of <paramref name="source"/> at the ranges of <paramref name="seq"/>, concatenated.</summary>
    public static byte[] Gather(byte[] source, AddrRangeSeq seq)
    {
        var list = new List<byte>();
        foreach (AddrRange range in seq)
        {
            list.AddRange(source.AsSpan((int)range.Start.Value, (int)range.Length).ToArray());
        }
        return [.. list];
    }
}
