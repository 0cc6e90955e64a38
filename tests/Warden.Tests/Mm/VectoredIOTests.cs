using Warden.Errors;
using Warden.HostArch;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The memory manager's vectored copies (<c>CopyOutFrom</c>, <c>CopyInTo</c>): the reader or writer
/// is called at most once with the blocks of every range, partial transfers and faults in the
/// middle give the count and error the contract says, and bad ranges fail before anything is done.
/// </summary>
public class VectoredIOTests
{
    private const ulong Page = MmFixture.Page;

    /// <summary>Serves bytes 1, 2, 3, ... (mod 251), at most <c>limit</c> per call, counting calls.</summary>
    private sealed class CountingReader(long limit = long.MaxValue, Error? error = null) : IReader
    {
        public int Calls;
        public int BlocksSeen;

        public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
        {
            Calls++;
            BlocksSeen += dsts.NumBlocks;
            ulong done = 0;
            foreach (Block block in dsts)
            {
                Span<byte> span = block.AsSpan();
                for (int i = 0; i < span.Length && (long)done < limit; i++, done++)
                {
                    span[i] = (byte)((done % 251) + 1);
                }
            }
            return (done, (long)done < (long)dsts.NumBytes ? error : null);
        }
    }

    /// <summary>Keeps what it is given, counting calls.</summary>
    private sealed class CountingWriter : IWriter
    {
        public int Calls;
        public readonly List<byte> Bytes = [];

        public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
        {
            Calls++;
            foreach (Block block in srcs)
            {
                Bytes.AddRange(block.AsSpan().ToArray());
            }
            return (srcs.NumBytes, null);
        }
    }

    private static byte Expected(long i) => (byte)((i % 251) + 1);

    private static AddrRangeSeq Seq(params (ulong Start, ulong Length)[] ranges) =>
        AddrRangeSeq.FromArray(ranges.Select(r => new AddrRange((Addr)r.Start, (Addr)(r.Start + r.Length))).ToArray());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CopyOutFrom_SeveralRanges_CallsTheReaderOnce(bool populated)
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        ulong b = f.Map(4 * Page);
        if (populated)
        {
            f.Write(a, new byte[4 * Page]);
            f.Write(b, new byte[4 * Page]);
        }
        var reader = new CountingReader();
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a + 100, 2 * Page), (b + 5, 3 * Page)), reader, default);

        Assert.Null(error);
        Assert.Equal((long)(5 * Page), n);
        Assert.Equal(1, reader.Calls);
        byte[] first = f.Read(a + 100, (int)(2 * Page));
        byte[] second = f.Read(b + 5, (int)(3 * Page));
        Assert.Equal(Enumerable.Range(0, first.Length).Select(i => Expected(i)), first);
        Assert.Equal(Enumerable.Range(0, second.Length).Select(i => Expected(i + first.Length)), second);
    }

    [Fact]
    public void CopyInTo_RangesOverSeveralPmas_CallsTheWriterOnce_InOrder()
    {
        using var f = new MmFixture();
        ulong a = f.Map(8 * Page);
        byte[] data = Enumerable.Range(0, (int)(8 * Page)).Select(i => (byte)(i * 7)).ToArray();
        f.Write(a, data);
        // Different protections split the vma, and so the pmas, into three.
        Assert.Null(Warden.Mm.MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + 2 * Page, 2 * Page, PROT_READ));
        var writer = new CountingWriter();
        (long n, Error? error) = f.Mm.CopyInTo(f.Ctx, Seq((a + 6 * Page, Page), (a + Page, 5 * Page)), writer, default);

        Assert.Null(error);
        Assert.Equal((long)(6 * Page), n);
        Assert.Equal(1, writer.Calls);
        Assert.Equal(data[(int)(6 * Page)..(int)(7 * Page)].Concat(data[(int)Page..(int)(6 * Page)]), writer.Bytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CopyOutFrom_AHoleInTheSecondRange_FillsUpToIt_ThenEfault(bool populated)
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        ulong b = f.Map(2 * Page, addr: 0x6000_0000);
        if (populated)
        {
            f.Write(a, new byte[4 * Page]);
            f.Write(b, new byte[2 * Page]);
        }
        var reader = new CountingReader();
        // The second range runs a page past b's mapping.
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, Page), (b + Page, 2 * Page), (a + 2 * Page, Page)), reader, default);

        Assert.Same(Errno.EFAULT, error);
        Assert.Equal((long)(2 * Page), n);
        Assert.Equal(1, reader.Calls);
        Assert.Equal(Enumerable.Range((int)Page, (int)Page).Select(i => Expected(i)), f.Read(b + Page, (int)Page));
        Assert.Equal(new byte[Page], f.Read(a + 2 * Page, (int)Page));
    }

    [Fact]
    public void CopyOutFrom_FirstRangeUnmapped_CallsNothing()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        var reader = new CountingReader();
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((0x7000_0000, Page), (a, Page)), reader, default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
        Assert.Equal(0, reader.Calls);
    }

    [Fact]
    public void CopyOutFrom_ShortReader_GivesItsCountWithoutError()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        var reader = new CountingReader(limit: 100);
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, Page), (a + 2 * Page, Page)), reader, default);
        Assert.Null(error);
        Assert.Equal(100, n);
        Assert.Equal(1, reader.Calls);
    }

    [Fact]
    public void CopyOutFrom_ReaderError_GivesTheCountAndTheError()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        var reader = new CountingReader(limit: (long)Page + 3, error: Errno.EIO);
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, Page), (a + 2 * Page, Page)), reader, default);
        Assert.Same(Errno.EIO, error);
        Assert.Equal((long)Page + 3, n);
    }

    [Fact]
    public void CopyOutFrom_OnlyEmptyRanges_CallsNothing()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        var reader = new CountingReader();
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, 0), (a + 8, 0)), reader, default);
        Assert.Null(error);
        Assert.Equal(0, n);
        Assert.Equal(0, reader.Calls);
    }

    [Fact]
    public void CopyOutFrom_EmptyRangesBetween_AreSkipped()
    {
        using var f = new MmFixture();
        ulong a = f.Map(2 * Page);
        var reader = new CountingReader();
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, 0), (a, 10), (0x7000_0000, 0), (a + Page, 10)), reader, default);
        Assert.Null(error);
        Assert.Equal(20, n);
        Assert.Equal(1, reader.Calls);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => Expected(i)), f.Read(a + Page, 10));
    }

    /// <summary>A range past the layout's top fails the whole call, as access_ok does, before any copy.</summary>
    [Fact]
    public void CopyOutFrom_ARangeAboveTheTop_FailsWithoutCalling()
    {
        using var f = new MmFixture();
        ulong a = f.Map(Page);
        ulong top = f.Mm.Layout.MaxAddress;
        var reader = new CountingReader();
        (long n, Error? error) = f.Mm.CopyOutFrom(f.Ctx, Seq((a, Page), (top - 8, 16)), reader, default);
        Assert.Same(Errno.EFAULT, error);
        Assert.Equal(0, n);
        Assert.Equal(0, reader.Calls);
        Assert.Equal(new byte[Page], f.Read(a, (int)Page));
    }

    [Fact]
    public void CopyInTo_StaysAllocationFree_OverSeveralPmas()
    {
        using var f = new MmFixture();
        ulong a = f.Map(4 * Page);
        f.Write(a, new byte[4 * Page]);
        Assert.Null(Warden.Mm.MemorySyscalls.Mprotect(f.Ctx, f.Mm, a + Page, Page, PROT_READ));
        var writer = new NullWriter();
        AddrRangeSeq ars = Seq((a, 3 * Page), (a + 3 * Page, Page));
        Assert.Equal(0, Allocations.By(() => f.Mm.CopyInTo(f.Ctx, ars, writer, default), iterations: 100));
        Assert.True(writer.Calls >= 100 + 100);
    }

    private sealed class NullWriter : IWriter
    {
        public int Calls;

        public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
        {
            Calls++;
            return (srcs.NumBytes, null);
        }
    }
}
