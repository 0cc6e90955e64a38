using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="IOSequence.Reader"/>, <see cref="IOSequence.Writer"/> and
/// <see cref="IOSequenceReadWriter"/>: reads beyond the end are end of stream (0), writes beyond
/// the end fail with <see cref="IOSequence.EndOfIOSequence"/> (seed's ErrEndOfIOSequence), and a
/// fault surfaces as an <see cref="ErrorException"/> once no byte could be moved.
/// </summary>
public sealed class IOSequenceStreamTests
{
    private static readonly IContext Ctx = Context.Background;

    // 3 + 2 + 0 + 4 = 9 bytes.
    private static AddrRangeSeq FourRanges() => Seq((2, 5), (10, 12), (20, 20), (40, 44));

    private static byte[] FourRangesBytes(byte[] memory) => Gather(memory, FourRanges());

    [Fact]
    public void Reader_ReadsAcrossRanges_InOrder_ThenReturnsZero()
    {
        var io = new BytesIO(Pattern(64));
        using Stream reader = new IOSequence(io, FourRanges()).Reader(Ctx);
        var got = new List<byte>();
        byte[] buffer = new byte[2];

        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            Assert.True(n <= 2);
            got.AddRange(buffer[..n]);
        }

        Assert.Equal(FourRangesBytes(io.Bytes), got);
        Assert.Equal(0, reader.Read(buffer, 0, buffer.Length));
        Assert.Equal(-1, reader.ReadByte());
    }

    [Fact]
    public void Reader_ReadLargerThanTheSequence_IsAShortRead()
    {
        var io = new BytesIO(Pattern(64));
        using Stream reader = new IOSequence(io, FourRanges()).Reader(Ctx);
        byte[] buffer = Filled(100, 0xEE);

        int n = reader.Read(buffer);

        Assert.Equal(9, n);
        Assert.Equal(FourRangesBytes(io.Bytes), buffer[..9]);
        Assert.All(buffer[9..], b => Assert.Equal(0xEE, b));
        Assert.Equal(0, reader.Read(buffer));
    }

    [Fact]
    public void Reader_WorksWithStreamCopyTo()
    {
        var io = new BytesIO(Pattern(64));
        using Stream reader = new IOSequence(io, FourRanges()).Reader(Ctx);
        using var sink = new MemoryStream();

        reader.CopyTo(sink);

        Assert.Equal(FourRangesBytes(io.Bytes), sink.ToArray());
    }

    [Fact]
    public void Reader_EmptySequence_IsImmediatelyAtTheEnd()
    {
        using Stream reader = new IOSequence(new BytesIO(8), AddrRangeSeq.Empty).Reader(Ctx);

        Assert.Equal(0, reader.Read(new byte[4]));
    }

    [Fact]
    public void Reader_FaultMidRead_ReturnsThePartialCount_ThenThrowsEFAULT()
    {
        var io = new BytesIO(Pattern(64));
        using Stream reader = new IOSequence(io, Seq((2, 5), (60, 70))).Reader(Ctx);
        byte[] buffer = new byte[10];

        int n = reader.Read(buffer);

        Assert.Equal(7, n);
        Assert.Equal(io.Bytes[2..5].Concat(io.Bytes[60..64]), buffer[..7]);
        ErrorException ex = Assert.Throws<ErrorException>(() => reader.Read(buffer));
        Assert.Same(Errno.EFAULT, ex.Error);
    }

    [Fact]
    public void Reader_FaultAtTheStart_Throws()
    {
        using Stream reader = new IOSequence(new BytesIO(16), Seq((32, 40))).Reader(Ctx);

        ErrorException ex = Assert.Throws<ErrorException>(() => reader.Read(new byte[4]));

        Assert.Same(Errno.EFAULT, ex.Error);
    }

    [Fact]
    public void Reader_IsReadOnly()
    {
        using Stream reader = new IOSequence(new BytesIO(16), Seq((0, 8))).Reader(Ctx);

        Assert.True(reader.CanRead);
        Assert.False(reader.CanWrite);
        Assert.False(reader.CanSeek);
        Assert.Throws<NotSupportedException>(() => reader.Write(new byte[1], 0, 1));
    }

    [Fact]
    public void Writer_WritesAcrossRanges_InOrder()
    {
        var io = new BytesIO(64);
        using Stream writer = new IOSequence(io, FourRanges()).Writer(Ctx);
        byte[] data = Pattern(9, seed: 1);

        writer.Write(data, 0, 4);
        writer.Write(data, 4, 5);

        Assert.Equal(data, FourRangesBytes(io.Bytes));
        Assert.Equal(9, io.Bytes.Count(b => b != 0));
    }

    [Fact]
    public void Writer_PastTheEnd_ThrowsEndOfIOSequence_WithTheCountWritten()
    {
        var io = new BytesIO(64);
        using Stream writer = new IOSequence(io, FourRanges()).Writer(Ctx);
        byte[] data = Pattern(11, seed: 2);

        writer.Write(data, 0, 5);
        ErrorException ex = Assert.Throws<ErrorException>(() => writer.Write(data, 5, 6));

        Assert.Same(IOSequence.EndOfIOSequence, ex.Error);
        Assert.Equal(4, ex.BytesTransferred);
        Assert.Equal(data[..9], FourRangesBytes(io.Bytes));

        ErrorException again = Assert.Throws<ErrorException>(() => writer.WriteByte(1));
        Assert.Same(IOSequence.EndOfIOSequence, again.Error);
        Assert.Equal(0, again.BytesTransferred);
    }

    [Fact]
    public void Writer_FaultMidWrite_ThrowsEFAULT_WithTheCountWritten()
    {
        var io = new BytesIO(64);
        using Stream writer = new IOSequence(io, Seq((2, 5), (60, 70))).Writer(Ctx);
        byte[] data = Pattern(10, seed: 3);

        ErrorException ex = Assert.Throws<ErrorException>(() => writer.Write(data));

        Assert.Same(Errno.EFAULT, ex.Error);
        Assert.Equal(7, ex.BytesTransferred);
        Assert.Equal(data[..3], io.Bytes[2..5]);
        Assert.Equal(data[3..7], io.Bytes[60..64]);
    }

    [Fact]
    public void Writer_IsWriteOnly()
    {
        using Stream writer = new IOSequence(new BytesIO(16), Seq((0, 8))).Writer(Ctx);

        Assert.False(writer.CanRead);
        Assert.True(writer.CanWrite);
        Assert.Throws<NotSupportedException>(() => writer.Read(new byte[1], 0, 1));
    }

    [Fact]
    public void ReadWriter_LenIsTheBytesLeft_AndReadsAndWritesShareOnePosition()
    {
        var io = new BytesIO(Pattern(16));
        byte[] before = io.Bytes.ToArray();
        using var rw = new IOSequenceReadWriter(Ctx, new IOSequence(io, Seq((0, 4), (8, 14))));

        Assert.Equal(10, rw.Len);
        byte[] three = new byte[3];
        Assert.Equal(3, rw.Read(three));
        Assert.Equal(before[..3], three);
        Assert.Equal(7, rw.Len);

        rw.Write([0xA1, 0xA2]);
        Assert.Equal(5, rw.Len);
        Assert.Equal(0xA1, io.Bytes[3]);
        Assert.Equal(0xA2, io.Bytes[8]);

        byte[] rest = new byte[10];
        Assert.Equal(5, rw.Read(rest));
        Assert.Equal(before[9..14], rest[..5]);
        Assert.Equal(0, rw.Len);
        Assert.Equal(0, rw.Read(rest));
        Assert.True(rw.CanRead);
        Assert.True(rw.CanWrite);
    }

    [Fact]
    public void ReadWriter_Remaining_IsTheUnconsumedSequence()
    {
        var io = new BytesIO(Pattern(16));
        using var rw = new IOSequenceReadWriter(Ctx, new IOSequence(io, Seq((0, 4), (8, 14))));

        Assert.Equal(6, rw.Read(new byte[6]));

        Assert.Equal(new[] { (10UL, 14UL) }, Ranges(rw.Remaining.Addrs));
    }

    [Fact]
    public void ReadWriter_Init_RestartsOverANewSequence()
    {
        var io = new BytesIO(Pattern(32));
        using var rw = new IOSequenceReadWriter(Ctx, new IOSequence(io, Seq((0, 4))));
        Assert.Equal(4, rw.Read(new byte[8]));
        Assert.Equal(0, rw.Len);

        rw.Init(Ctx, new IOSequence(io, Seq((20, 26))));

        Assert.Equal(6, rw.Len);
        byte[] buffer = new byte[8];
        Assert.Equal(6, rw.Read(buffer));
        Assert.Equal(io.Bytes[20..26], buffer[..6]);
    }

    [Fact]
    public void ReadWriter_WritePastTheEnd_ThrowsEndOfIOSequence()
    {
        var io = new BytesIO(16);
        using var rw = new IOSequenceReadWriter(Ctx, new IOSequence(io, Seq((0, 4))));

        ErrorException ex = Assert.Throws<ErrorException>(() => rw.Write(Pattern(6)));

        Assert.Same(IOSequence.EndOfIOSequence, ex.Error);
        Assert.Equal(4, ex.BytesTransferred);
        Assert.Equal(Pattern(6)[..4], io.Bytes[..4]);
        Assert.Equal(0, rw.Len);
    }

    [Fact]
    public void ReadWriter_Len_IsCappedAtInt32MaxValue()
    {
        const ulong Base = 0x1000_0000_0000;
        using var rw = new IOSequenceReadWriter(Ctx, new IOSequence(new BytesIO(1), Seq((Base, Base + 0x1_0000_0000))));

        Assert.Equal(int.MaxValue, rw.Len);
    }

    [Fact]
    public void ReadWriter_PassesTheContextAndOptions()
    {
        var io = new FaultingMemoryIO().Map(0x5000);
        var opts = new IOOpts { IgnorePermissions = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<string>("who"), "test");
        using var rw = new IOSequenceReadWriter(ctx, new IOSequence(io, Seq((0x5000, 0x5010)), opts));

        Assert.Equal(4, rw.Read(new byte[4]));
        rw.Write(new byte[4]);

        Assert.Equal(2, io.Calls.Count);
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.Equal(new[] { 0x5000UL, 0x5004UL }, io.Calls.Select(c => c.Addr.Value));
    }
}
