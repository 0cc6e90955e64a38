using System.Text;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Tests.UserMem.Infrastructure;
using Warden.UserMem;
using Xunit;
using static Warden.Tests.UserMem.Infrastructure.TestBytes;

namespace Warden.Tests.UserMem;

/// <summary>
/// <see cref="MemoryIOExtensions.CopyStringIn(IMemoryIO, IContext, Addr, int, IOOpts)"/> and its span
/// overload: a NUL-terminated string of unknown length, read in page-bounded chunks so that a page
/// after the NUL is never touched; no NUL within <c>maxlen</c> is ENAMETOOLONG with the string
/// truncated to <c>maxlen</c> (seed 000); a fault returns the part read and the error.
/// </summary>
public sealed class CopyStringInTests
{
    private static readonly IContext Ctx = Context.Background;

    private const ulong Page = 0x10000;
    private const ulong LastPage = 0xFFFF_FFFF_FFFF_F000;

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Letters(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)('a' + (i % 26));
        }
        return bytes;
    }

    private static string LettersString(int length) => Encoding.ASCII.GetString(Letters(length));

    /// <summary>A BytesIO holding <paramref name="text"/> at <paramref name="at"/>, then a NUL, then junk.</summary>
    private static BytesIO StringAt(byte[] text, int at = 0, int size = 0)
    {
        var io = new BytesIO(Math.Max(size, at + text.Length + 8));
        Array.Fill(io.Bytes, (byte)'#');
        text.CopyTo(io.Bytes, at);
        io.Bytes[at + text.Length] = 0;
        return io;
    }

    private static (string Value, Error? Error) CopyString(IMemoryIO io, ulong addr, int maxlen) =>
        io.CopyStringIn(Ctx, new Addr(addr), maxlen, default);

    private static (string Value, Error? Error) CopySpan(IMemoryIO io, ulong addr, int maxlen)
    {
        byte[] buffer = new byte[maxlen];
        (int length, Error? err) = io.CopyStringIn(Ctx, new Addr(addr), buffer.AsSpan(), default);
        return (Encoding.UTF8.GetString(buffer, 0, length), err);
    }

    public static TheoryData<string> Overloads => new() { "string", "span" };

    private static (string Value, Error? Error) Copy(string overload, IMemoryIO io, ulong addr, int maxlen) =>
        overload == "string" ? CopyString(io, addr, maxlen) : CopySpan(io, addr, maxlen);

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringWithinMaxlen_IsReturnedWithoutTheNul(string overload)
    {
        BytesIO io = StringAt(Ascii("/etc/passwd"), at: 5);

        (string value, Error? err) = Copy(overload, io, 5, 100);

        Assert.Equal("/etc/passwd", value);
        Assert.Null(err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void EmptyString_IsEmpty(string overload)
    {
        BytesIO io = StringAt([], at: 3);

        (string value, Error? err) = Copy(overload, io, 3, 10);

        Assert.Equal("", value);
        Assert.Null(err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void NoNulWithinMaxlen_IsTruncatedToMaxlen_WithENAMETOOLONG(string overload)
    {
        BytesIO io = StringAt(Ascii("abcdefghij"));

        (string value, Error? err) = Copy(overload, io, 0, 4);

        Assert.Equal("abcd", value);
        Assert.Same(Errno.ENAMETOOLONG, err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void MaxlenZero_IsEmpty_WithENAMETOOLONG(string overload)
    {
        BytesIO io = StringAt(Ascii("abc"));

        (string value, Error? err) = Copy(overload, io, 0, 0);

        Assert.Equal("", value);
        Assert.Same(Errno.ENAMETOOLONG, err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void MaxlenZero_IsENAMETOOLONG_EvenAtAnUnmappedAddress(string overload)
    {
        var io = new FaultingMemoryIO();

        (string value, Error? err) = Copy(overload, io, 0x1234, 0);

        Assert.Equal("", value);
        Assert.Same(Errno.ENAMETOOLONG, err);
    }

    [Theory]
    [InlineData("string", 1)]
    [InlineData("string", 10)]
    [InlineData("string", 255)]
    [InlineData("string", 256)]
    [InlineData("string", 257)]
    [InlineData("string", 4095)]
    [InlineData("string", 4096)]
    [InlineData("span", 1)]
    [InlineData("span", 10)]
    [InlineData("span", 256)]
    [InlineData("span", 4096)]
    public void NulAtMaxlenMinusOne_IsFound(string overload, int maxlen)
    {
        // The string plus its NUL is exactly maxlen bytes: it fits.
        BytesIO io = StringAt(Letters(maxlen - 1));

        (string value, Error? err) = Copy(overload, io, 0, maxlen);

        Assert.Equal(LettersString(maxlen - 1), value);
        Assert.Null(err);
    }

    [Theory]
    [InlineData("string", 1)]
    [InlineData("string", 10)]
    [InlineData("string", 255)]
    [InlineData("string", 256)]
    [InlineData("string", 257)]
    [InlineData("string", 4096)]
    [InlineData("span", 1)]
    [InlineData("span", 10)]
    [InlineData("span", 256)]
    [InlineData("span", 4096)]
    public void NulAtMaxlen_IsENAMETOOLONG_WithExactlyMaxlenBytes(string overload, int maxlen)
    {
        // The string alone is maxlen bytes, so with its NUL it would exceed maxlen.
        BytesIO io = StringAt(Letters(maxlen));

        (string value, Error? err) = Copy(overload, io, 0, maxlen);

        Assert.Equal(LettersString(maxlen), value);
        Assert.Same(Errno.ENAMETOOLONG, err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void LongString_BeyondTheFirstChunk_IsReadWhole(string overload)
    {
        BytesIO io = StringAt(Letters(5000), at: 100);

        (string value, Error? err) = Copy(overload, io, 100, 8192);

        Assert.Equal(LettersString(5000), value);
        Assert.Null(err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void LongString_LongerThanMaxlen_IsTruncatedToMaxlen(string overload)
    {
        BytesIO io = StringAt(Letters(5000), at: 100);

        (string value, Error? err) = Copy(overload, io, 100, 4500);

        Assert.Equal(4500, value.Length);
        Assert.Equal(LettersString(4500), value);
        Assert.Same(Errno.ENAMETOOLONG, err);
    }

    [Theory]
    [InlineData(300, 300)]
    [InlineData(511, 513)]
    [InlineData(1025, 1025)]
    [InlineData(3000, 2999)]
    public void LongStrings_AtAwkwardLengths_AreExact(int length, int maxlen)
    {
        BytesIO io = StringAt(Letters(length), at: 7);

        (string value, Error? err) = CopyString(io, 7, maxlen);

        if (length < maxlen)
        {
            Assert.Equal(LettersString(length), value);
            Assert.Null(err);
        }
        else
        {
            Assert.Equal(LettersString(maxlen), value);
            Assert.Same(Errno.ENAMETOOLONG, err);
        }
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringEndingAtTheEndOfAPage_NeverTouchesTheUnmappedPageAfterIt(string overload)
    {
        var io = new FaultingMemoryIO().Map(Page);
        byte[] text = Ascii("hello");
        ulong start = Page + Arch.PageSize - (ulong)text.Length - 1;
        io.Poke(start, [.. text, 0]);

        (string value, Error? err) = Copy(overload, io, start, 1000);

        Assert.Equal("hello", value);
        Assert.Null(err);
        Assert.NotEmpty(io.Calls);
        Assert.All(io.Calls, c => Assert.Equal(MemoryIOOp.CopyIn, c.Op));
        Assert.DoesNotContain(io.Calls, c => c.Touches(Page + Arch.PageSize, Page + (2 * Arch.PageSize)));
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void LongStringOverSeveralPages_IsReadPageByPage_AndStopsAtTheNulsPage(string overload)
    {
        // Pages 0x10000-0x12fff are mapped; the string starts mid-page and its NUL is on 0x11000's
        // page; the page after that is mapped too, but must not be read.
        var io = new FaultingMemoryIO().Map(Page, 3);
        byte[] text = Letters(5000);
        ulong start = Page + 0x800;
        io.Poke(start, [.. text, 0]);
        ulong nulAddr = start + 5000;
        ulong pageAfterNul = (nulAddr & ~(ulong)Arch.PageMask) + Arch.PageSize;

        (string value, Error? err) = Copy(overload, io, start, 8192);

        Assert.Equal(LettersString(5000), value);
        Assert.Null(err);
        Assert.All(io.Calls, c => Assert.True(c.WithinOnePage, $"CopyIn({c.Addr}, {c.Length}) crosses a page boundary"));
        Assert.DoesNotContain(io.Calls, c => c.Touches(pageAfterNul, ulong.MaxValue));
        // Consecutive reads cover the string without gaps or overlaps.
        ulong next = start;
        foreach (MemoryIOCall call in io.Calls)
        {
            Assert.Equal(next, call.Addr.Value);
            next += (ulong)call.Length;
        }
        Assert.True(next > nulAddr);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringRunningIntoAnUnmappedPage_ReturnsThePartAndEFAULT(string overload)
    {
        var io = new FaultingMemoryIO().Map(Page);
        ulong start = Page + Arch.PageSize - 3;
        io.Poke(start, Ascii("abc"));

        (string value, Error? err) = Copy(overload, io, start, 100);

        Assert.Equal("abc", value);
        Assert.Same(Errno.EFAULT, err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringAtAnUnmappedAddress_IsEmptyWithEFAULT(string overload)
    {
        var io = new FaultingMemoryIO();

        (string value, Error? err) = Copy(overload, io, 0x5000, 100);

        Assert.Equal("", value);
        Assert.Same(Errno.EFAULT, err);
    }

    [Fact]
    public void LongStringRunningIntoAnUnmappedPage_AfterGrowing_ReturnsEverythingRead()
    {
        var io = new FaultingMemoryIO().Map(Page, 2);
        ulong start = Page + 100;
        int readable = (2 * Arch.PageSize) - 100;
        io.Poke(start, Letters(readable));

        (string value, Error? err) = CopyString(io, start, 10000);

        Assert.Equal(LettersString(readable), value);
        Assert.Same(Errno.EFAULT, err);
    }

    [Fact]
    public void ErrorOtherThanEFAULT_IsPassedThrough()
    {
        var io = new FaultingMemoryIO { FaultError = Errno.EIO }.Map(Page);
        ulong start = Page + Arch.PageSize - 2;
        io.Poke(start, Ascii("xy"));

        (string value, Error? err) = CopyString(io, start, 100);

        Assert.Equal("xy", value);
        Assert.Same(Errno.EIO, err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringRunningToTheTopOfTheAddressSpace_IsEFAULT_WithoutWrapping(string overload)
    {
        var io = new FaultingMemoryIO().Map(LastPage).Map(0);
        io.Poke(ulong.MaxValue - 1, Ascii("zz"));
        io.Poke(0, Ascii("WRAP\0"));

        (string value, Error? err) = Copy(overload, io, ulong.MaxValue - 1, 100);

        Assert.Equal("zz", value);
        Assert.Same(Errno.EFAULT, err);
        Assert.DoesNotContain(io.Calls, c => c.Addr.Value < LastPage);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void StringEndingAtTheTopOfTheAddressSpace_IsFound(string overload)
    {
        var io = new FaultingMemoryIO().Map(LastPage);
        io.Poke(ulong.MaxValue - 3, Ascii("top\0"));

        (string value, Error? err) = Copy(overload, io, ulong.MaxValue - 3, 100);

        Assert.Equal("top", value);
        Assert.Null(err);
    }

    [Theory]
    [MemberData(nameof(Overloads))]
    public void BytesIO_NearTheTopOfTheAddressSpace_IsEFAULT(string overload)
    {
        BytesIO io = StringAt(Ascii("abc"));

        (string value, Error? err) = Copy(overload, io, ulong.MaxValue - 1, 100);

        Assert.Equal("", value);
        Assert.Same(Errno.EFAULT, err);
    }

    [Fact]
    public void NonAsciiString_IsDecodedAsUtf8()
    {
        const string Text = "héllo wörld ✓ 日本";
        BytesIO io = StringAt(Encoding.UTF8.GetBytes(Text), at: 2);

        (string value, Error? err) = CopyString(io, 2, 200);

        Assert.Equal(Text, value);
        Assert.Null(err);
    }

    [Fact]
    public void SpanOverload_LeavesTheBytesInTheBuffer_AndReturnsTheirLength()
    {
        byte[] utf8 = Encoding.UTF8.GetBytes("grüße");
        BytesIO io = StringAt(utf8, at: 9);
        byte[] buffer = Filled(64, 0xEE);

        (int length, Error? err) = io.CopyStringIn(Ctx, new Addr(9), buffer.AsSpan(), default);

        Assert.Equal(utf8.Length, length);
        Assert.Null(err);
        Assert.Equal(utf8, buffer[..length]);
    }

    [Fact]
    public void SpanOverload_Truncated_HoldsTheFirstMaxlenBytes()
    {
        BytesIO io = StringAt(Ascii("0123456789"));
        byte[] buffer = new byte[6];

        (int length, Error? err) = io.CopyStringIn(Ctx, Addr.Zero, buffer.AsSpan(), default);

        Assert.Equal(6, length);
        Assert.Same(Errno.ENAMETOOLONG, err);
        Assert.Equal(Ascii("012345"), buffer);
    }

    [Fact]
    public void SpanOverload_Fault_HoldsTheBytesRead()
    {
        var io = new FaultingMemoryIO().Map(Page);
        ulong start = Page + Arch.PageSize - 4;
        io.Poke(start, Ascii("wxyz"));
        byte[] buffer = Filled(32, 0xEE);

        (int length, Error? err) = io.CopyStringIn(Ctx, new Addr(start), buffer.AsSpan(), default);

        Assert.Equal(4, length);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(Ascii("wxyz"), buffer[..4]);
    }

    [Fact]
    public void PassesTheContextAndOptions()
    {
        var io = new FaultingMemoryIO().Map(Page);
        io.Poke(Page, Ascii("ok\0"));
        var opts = new IOOpts { IgnorePermissions = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 3);

        (string value, Error? _) = io.CopyStringIn(ctx, new Addr(Page), 50, opts);

        Assert.Equal("ok", value);
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
    }

    [Fact]
    public void NegativeMaxlen_IsAPreconditionViolation()
    {
        var io = new BytesIO(8);

        Assert.Throws<ArgumentOutOfRangeException>(() => io.CopyStringIn(Ctx, Addr.Zero, -1, default));
    }
}
