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
/// <see cref="MemoryIOExtensions.CopyInt32StringsInVec"/> and
/// <see cref="MemoryIOExtensions.CopyInt32StringInVec"/>, which follow Linux's
/// <c>proc_dointvec</c> for writes as seed 000 lists: whitespace-separated decimal values;
/// overflow or an invalid character is EINVAL; reaching the end with at least one value is fine,
/// with none EINVAL; trailing whitespace after the last value counts in the bytes read; and,
/// unlike Linux, zero-length input is EINVAL and input is not limited to a page.
/// </summary>
public sealed class CopyInt32StringsTests
{
    private static readonly IContext Ctx = Context.Background;

    private const int Untouched = -99;

    private static (long Count, Error? Error, int[] Values) Parse(string text, int slots)
    {
        var io = new BytesIO(Encoding.Latin1.GetBytes(text));
        int[] dsts = new int[slots];
        Array.Fill(dsts, Untouched);
        (long n, Error? err) = io.CopyInt32StringsInVec(Ctx, Seq((0, (ulong)text.Length)), dsts, default);
        return (n, err, dsts);
    }

    private static (long Count, Error? Error, int Value) ParseOne(string text, int initial = 1234)
    {
        var io = new BytesIO(Encoding.Latin1.GetBytes(text));
        int dst = initial;
        (long n, Error? err) = io.CopyInt32StringInVec(Ctx, Seq((0, (ulong)text.Length)), ref dst, default);
        return (n, err, dst);
    }

    [Fact]
    public void ThreeValues_IntoThreeSlots()
    {
        (long n, Error? err, int[] values) = Parse("1 2 3", 3);

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(new[] { 1, 2, 3 }, values);
    }

    [Fact]
    public void LeadingAndTrailingWhitespaceOfEveryKind_IsSkipped_AndTrailingWhitespaceIsCounted()
    {
        const string Text = " \t\n\v\f\r42 \t\n\v\f\r";

        (long n, Error? err, int[] values) = Parse(Text, 1);

        Assert.Equal(Text.Length, n);
        Assert.Null(err);
        Assert.Equal(new[] { 42 }, values);
    }

    [Theory]
    [InlineData("1\t2", new[] { 1, 2 })]
    [InlineData("1\n2", new[] { 1, 2 })]
    [InlineData("1\v2", new[] { 1, 2 })]
    [InlineData("1\f2", new[] { 1, 2 })]
    [InlineData("1\r2", new[] { 1, 2 })]
    [InlineData("1 \n\t 2", new[] { 1, 2 })]
    public void EveryAsciiWhitespace_SeparatesValues(string text, int[] expected)
    {
        (long n, Error? err, int[] values) = Parse(text, 2);

        Assert.Equal(text.Length, n);
        Assert.Null(err);
        Assert.Equal(expected, values);
    }

    [Theory]
    [InlineData("+5", 5)]
    [InlineData("-7", -7)]
    [InlineData("0", 0)]
    [InlineData("-0", 0)]
    [InlineData("007", 7)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-2147483648", int.MinValue)]
    public void ValidValues_AreConverted(string text, int expected)
    {
        (long n, Error? err, int[] values) = Parse(text, 1);

        Assert.Equal(text.Length, n);
        Assert.Null(err);
        Assert.Equal(expected, values[0]);
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("99999999999999999999")]
    [InlineData("12abc")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("0x10")]
    [InlineData("1,000")]
    [InlineData("-")]
    [InlineData("+")]
    [InlineData("--1")]
    [InlineData("+-1")]
    [InlineData("5-")]
    [InlineData("(5)")]
    public void InvalidValues_AreEINVAL(string text)
    {
        (long _, Error? err, int[] _) = Parse(text, 1);

        Assert.Same(Errno.EINVAL, err);
    }

    [Theory]
    [InlineData("7\0")]
    [InlineData("7\0\0\0")]
    [InlineData("1 7\0")]
    public void NulAfterADigit_IsAnInvalidCharacter_EINVAL(string text)
    {
        // A NUL is not whitespace and not a digit: proc_get_long accepts only a whitespace
        // separator after the digits (and Go's strconv.ParseInt rejects the NUL too).
        (long _, Error? err, int[] _) = Parse(text, 2);

        Assert.Same(Errno.EINVAL, err);
    }

    [Fact]
    public void InvalidSecondValue_IsEINVAL_AfterStoringTheFirst_AndLeavesItsOwnSlotUnchanged()
    {
        // proc_dointvec stores each value as it converts it and stops at the bad one; the bad
        // value's slot is never written.
        (long _, Error? err, int[] values) = Parse("1 2x 3", 3);

        Assert.Same(Errno.EINVAL, err);
        Assert.Equal(new[] { 1, Untouched, Untouched }, values);
    }

    [Fact]
    public void OverflowingValue_LeavesItsSlotUnchanged()
    {
        (long _, Error? err, int[] values) = Parse("4 2147483648", 2);

        Assert.Same(Errno.EINVAL, err);
        Assert.Equal(new[] { 4, Untouched }, values);
    }

    [Fact]
    public void ZeroLengthInput_IsEINVAL()
    {
        (long n, Error? err, int[] values) = Parse("", 1);

        Assert.Equal(0, n);
        Assert.Same(Errno.EINVAL, err);
        Assert.Equal(new[] { Untouched }, values);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("   \n")]
    [InlineData("\t\v\f\r")]
    public void OnlyWhitespace_IsEINVAL(string text)
    {
        (long _, Error? err, int[] values) = Parse(text, 2);

        Assert.Same(Errno.EINVAL, err);
        Assert.Equal(new[] { Untouched, Untouched }, values);
    }

    [Theory]
    [InlineData("1 2", 3, 3)]
    [InlineData("1 2\n", 3, 4)]
    [InlineData("  9  ", 4, 5)]
    public void FewerValuesThanSlots_IsFine_AndTheRestAreUnchanged(string text, int slots, long expectedCount)
    {
        (long n, Error? err, int[] values) = Parse(text, slots);

        Assert.Equal(expectedCount, n);
        Assert.Null(err);
        int read = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.All(values[read..], v => Assert.Equal(Untouched, v));
    }

    [Theory]
    [InlineData("1 2 3 4", 2, 4)] // "1 2 " consumed
    [InlineData("1 2   3", 2, 6)] // "1 2   " consumed
    [InlineData("1 2\n3", 2, 4)]
    [InlineData("10 20", 1, 3)]
    [InlineData("5 junk", 1, 2)] // the junk after the last slot is never parsed
    [InlineData("5", 1, 1)]
    public void MoreValuesThanSlots_StopsAfterFillingThem_CountingTheWhitespaceAfterTheLast(string text, int slots, long expectedCount)
    {
        (long n, Error? err, int[] values) = Parse(text, slots);

        Assert.Equal(expectedCount, n);
        Assert.Null(err);
        Assert.DoesNotContain(Untouched, values);
    }

    [Fact]
    public void NoSlots_ReadsNothing_AndSucceeds()
    {
        var io = new FaultingMemoryIO();

        (long n, Error? err) = io.CopyInt32StringsInVec(Ctx, Seq((0x1000, 0x1010)), Span<int>.Empty, default);

        Assert.Equal(0, n);
        Assert.Null(err);
        Assert.Empty(io.Calls);
    }

    [Fact]
    public void InputSpreadOverSeveralRanges_IsReadAsOneText()
    {
        // "1 " + "23 " + "-4" = "1 23 -4"; the second range also splits a value: "2" "3".
        var io = new BytesIO(32);
        Encoding.ASCII.GetBytes("1 ").CopyTo(io.Bytes, 0);
        Encoding.ASCII.GetBytes("2").CopyTo(io.Bytes, 10);
        Encoding.ASCII.GetBytes("3 ").CopyTo(io.Bytes, 15);
        Encoding.ASCII.GetBytes("-4").CopyTo(io.Bytes, 20);
        int[] dsts = [Untouched, Untouched, Untouched];

        (long n, Error? err) = io.CopyInt32StringsInVec(Ctx, Seq((0, 2), (10, 11), (15, 17), (20, 22)), dsts, default);

        Assert.Equal(7, n);
        Assert.Null(err);
        Assert.Equal(new[] { 1, 23, -4 }, dsts);
    }

    [Fact]
    public void FaultPartWay_ParsesWhatWasCopied_AndReturnsEFAULT()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        const ulong Start = 0x2000 - 5;
        io.Poke(Start, Encoding.ASCII.GetBytes("12 34"));
        int[] dsts = [Untouched, Untouched, Untouched];

        (long n, Error? err) = io.CopyInt32StringsInVec(Ctx, Seq((Start, Start + 10)), dsts, default);

        Assert.Equal(5, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(new[] { 12, 34, Untouched }, dsts);
    }

    [Fact]
    public void FaultAtTheFirstByte_IsEFAULT_NotEINVAL()
    {
        var io = new FaultingMemoryIO();
        int[] dsts = [Untouched];

        (long n, Error? err) = io.CopyInt32StringsInVec(Ctx, Seq((0x1000, 0x1008)), dsts, default);

        Assert.Equal(0, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(new[] { Untouched }, dsts);
    }

    [Fact]
    public void InputLongerThanAPage_IsNotLimited()
    {
        // Unlike proc_dointvec, the input is not cut at PageSize - 1.
        string text = new string(' ', 5000) + "77";

        (long n, Error? err, int[] values) = Parse(text, 1);

        Assert.Equal(5002, n);
        Assert.Null(err);
        Assert.Equal(77, values[0]);
    }

    [Fact]
    public void PassesTheContextAndOptions()
    {
        var io = new FaultingMemoryIO().Map(0x1000);
        io.Poke(0x1000, Encoding.ASCII.GetBytes("8"));
        var opts = new IOOpts { IgnorePermissions = true };
        IContext ctx = Context.Background.WithValue(new ContextKey<int>("k"), 1);
        int[] dsts = [0];

        (long n, Error? err) = io.CopyInt32StringsInVec(ctx, Seq((0x1000, 0x1001)), dsts, opts);

        Assert.Equal(1, n);
        Assert.Null(err);
        Assert.Equal(8, dsts[0]);
        Assert.NotEmpty(io.Calls);
        Assert.All(io.Calls, c => Assert.Equal(opts, c.Opts));
        Assert.All(io.Calls, c => Assert.Same(ctx, c.Ctx));
    }

    // ---- the single-value variant ----

    [Fact]
    public void Single_ReadsOneValue()
    {
        (long n, Error? err, int value) = ParseOne("  42\n");

        Assert.Equal(5, n);
        Assert.Null(err);
        Assert.Equal(42, value);
    }

    [Fact]
    public void Single_StopsAfterOneValue()
    {
        (long n, Error? err, int value) = ParseOne("1 2");

        Assert.Equal(2, n);
        Assert.Null(err);
        Assert.Equal(1, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc")]
    [InlineData("12abc")]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    public void Single_Invalid_IsEINVAL_AndLeavesDstUnchanged(string text)
    {
        (long _, Error? err, int value) = ParseOne(text, initial: 1234);

        Assert.Same(Errno.EINVAL, err);
        Assert.Equal(1234, value);
    }

    [Fact]
    public void Single_FaultBeforeAnyByte_IsEFAULT_AndLeavesDstUnchanged()
    {
        var io = new FaultingMemoryIO();
        int dst = 555;

        (long n, Error? err) = io.CopyInt32StringInVec(Ctx, Seq((0x1000, 0x1004)), ref dst, default);

        Assert.Equal(0, n);
        Assert.Same(Errno.EFAULT, err);
        Assert.Equal(555, dst);
    }
}
