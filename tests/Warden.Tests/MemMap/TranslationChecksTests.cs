using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Xunit;

namespace Warden.Tests.MemMap;

/// <summary>
/// <see cref="TranslationChecks.CheckTranslateResult"/>: each precondition of
/// <see cref="IMappable.Translate"/> throws, each postcondition is checked and named, and valid
/// results pass.
/// </summary>
public class TranslationChecksTests
{
    private const ulong P = 0x1000;

    // Required [2, 5) pages inside optional [1, 8) pages: room on both sides for translations that
    // extend into the optional range or stray out of it.
    private static readonly MappableRange s_required = new(2 * P, 5 * P);
    private static readonly MappableRange s_optional = new(1 * P, 8 * P);
    private static readonly IFile s_file = new MinimalFile();

    private static Translation T(ulong start, ulong end, ulong offset = 0x10_0000, AccessType? perms = null, IFile? file = null) =>
        new(new MappableRange(start, end), file ?? s_file, offset, perms ?? AccessType.AnyAccess);

    private static Error? Check(Translation[] ts, Error? error = null, AccessType? at = null) =>
        TranslationChecks.CheckTranslateResult(s_required, s_optional, at ?? AccessType.ReadOnly, ts, error);

    private static void AssertBroken(string expectedPhrase, Translation[] ts, Error? error = null, AccessType? at = null)
    {
        Error? result = Check(ts, error, at);
        Assert.NotNull(result);
        Assert.Contains(expectedPhrase, result.Message, StringComparison.Ordinal);
    }

    // ---- Preconditions: a caller's bug, thrown as ArgumentException naming the broken precondition.

    public static TheoryData<ulong, ulong, ulong, ulong, string> BadInputs => new()
    {
        // required ill-formed, empty, or unaligned at either end.
        { 5 * P, 2 * P, 1 * P, 8 * P, "invalid required range" },
        { 2 * P, 2 * P, 1 * P, 8 * P, "invalid required range" },
        { (2 * P) + 1, 5 * P, 1 * P, 8 * P, "unaligned required range" },
        { 2 * P, (5 * P) - 1, 1 * P, 8 * P, "unaligned required range" },
        // optional not a superset of required, on either side (or entirely elsewhere).
        { 2 * P, 5 * P, 3 * P, 8 * P, "not a superset of required range" },
        { 2 * P, 5 * P, 1 * P, 4 * P, "not a superset of required range" },
        { 2 * P, 5 * P, 9 * P, 12 * P, "not a superset of required range" },
        // optional a superset, but unaligned at either end.
        { 2 * P, 5 * P, P + 0x800, 8 * P, "unaligned optional range" },
        { 2 * P, 5 * P, 1 * P, (8 * P) + 1, "unaligned optional range" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BrokenPrecondition_Throws(ulong reqStart, ulong reqEnd, ulong optStart, ulong optEnd, string phrase)
    {
        var required = new MappableRange(reqStart, reqEnd);
        var optional = new MappableRange(optStart, optEnd);
        // A result that would be valid for good inputs, so only the inputs are at fault.
        Translation[] ts = [T(2 * P, 5 * P)];
        ArgumentException ex = Assert.Throws<ArgumentException>(
            () => TranslationChecks.CheckTranslateResult(required, optional, AccessType.ReadOnly, ts, null));
        Assert.Contains(phrase, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BrokenPrecondition_ThrowsEvenForAnEmptyResultWithAnError()
    {
        Assert.Throws<ArgumentException>(() => TranslationChecks.CheckTranslateResult(
            new MappableRange(2 * P, 2 * P), s_optional, AccessType.ReadOnly, [], Errno.EFAULT));
    }

    // ---- Valid results.

    [Fact]
    public void ExactCover_IsValid() => Assert.Null(Check([T(2 * P, 5 * P)]));

    [Fact]
    public void SeveralContiguousTranslations_ReachingIntoOptional_AreValid() =>
        Assert.Null(Check([T(1 * P, 3 * P, offset: 0x40_0000), T(3 * P, 4 * P, offset: 0x7000), T(4 * P, 8 * P, offset: 0)]));

    [Fact]
    public void TranslationEqualToOptional_IsValid() => Assert.Null(Check([T(1 * P, 8 * P)]));

    [Fact]
    public void RequiredEqualToOptional_IsValid() =>
        Assert.Null(TranslationChecks.CheckTranslateResult(s_required, s_required, AccessType.ReadWrite, [T(2 * P, 5 * P)], null));

    [Fact]
    public void PartialCoverage_WithAnError_IsValid()
    {
        Assert.Null(Check([T(2 * P, 3 * P)], Errno.EFAULT));
        Assert.Null(Check([T(1 * P, 4 * P)], new BusError(Errno.EIO)));
    }

    [Fact]
    public void FullCoverage_WithAnError_IsValid() => Assert.Null(Check([T(2 * P, 5 * P)], Errno.ENOMEM));

    [Fact]
    public void NoTranslations_WithAnError_IsValid() => Assert.Null(Check([], new BusError(Errno.EFAULT)));

    [Fact]
    public void PermsExceedingTheRequest_AreValid()
    {
        Assert.Null(Check([T(2 * P, 5 * P, perms: AccessType.ReadWrite)], at: AccessType.ReadOnly));
        Assert.Null(Check([T(2 * P, 5 * P, perms: AccessType.ReadOnly)], at: AccessType.NoAccess));
        Assert.Null(Check([T(2 * P, 5 * P, perms: AccessType.NoAccess)], at: AccessType.NoAccess));
        Assert.Null(Check([T(2 * P, 5 * P, perms: AccessType.AnyAccess)], at: AccessType.AnyAccess));
    }

    // ---- Postconditions: each violation is reported as an error value naming it.

    [Fact]
    public void FirstTranslation_StartingAfterRequiredStart_IsReported() =>
        AssertBroken("does not cover start of required range", [T(3 * P, 5 * P)], Errno.EFAULT);

    [Fact]
    public void FirstTranslation_EndingAtRequiredStart_IsReported() =>
        AssertBroken("does not cover start of required range", [T(1 * P, 2 * P), T(2 * P, 5 * P)]);

    [Fact]
    public void FirstTranslationMessage_NamesTheRequiredRange() =>
        AssertBroken("[0x2000, 0x5000)", [T(3 * P, 5 * P)]);

    [Fact]
    public void EmptySource_IsReported() =>
        AssertBroken("has invalid Source", [T(2 * P, 3 * P), T(3 * P, 3 * P)], Errno.EFAULT);

    [Fact]
    public void IllFormedSource_IsReported() =>
        AssertBroken("has invalid Source", [T(2 * P, 3 * P), T(4 * P, 3 * P)], Errno.EFAULT);

    [Fact]
    public void UnalignedSourceEnd_IsReported() =>
        AssertBroken("has unaligned Source", [T(2 * P, (3 * P) + 0x800)], Errno.EFAULT);

    [Fact]
    public void UnalignedSourceStart_IsReported() =>
        AssertBroken("has unaligned Source", [T(2 * P, 3 * P), T((3 * P) + 1, 5 * P)]);

    [Fact]
    public void NullFile_IsReported() =>
        AssertBroken("has no File", [new Translation(s_required, null!, 0, AccessType.AnyAccess)]);

    [Fact]
    public void UnalignedOffset_IsReported() =>
        AssertBroken("has unaligned Offset", [T(2 * P, 5 * P, offset: 0x10_0010)]);

    [Fact]
    public void UnalignedOffset_OfALaterTranslation_IsReported() =>
        AssertBroken("has unaligned Offset", [T(2 * P, 3 * P), T(3 * P, 5 * P, offset: 0x801)]);

    [Fact]
    public void Hole_BetweenTranslations_IsReported() =>
        AssertBroken("are not contiguous", [T(2 * P, 3 * P), T(4 * P, 5 * P)]);

    [Fact]
    public void OverlappingTranslations_AreReported() =>
        AssertBroken("are not contiguous", [T(2 * P, 4 * P), T(3 * P, 5 * P)]);

    [Fact]
    public void DecreasingTranslations_AreReported() =>
        AssertBroken("are not contiguous", [T(2 * P, 5 * P), T(1 * P, 2 * P)], Errno.EFAULT);

    [Fact]
    public void TranslationEntirelyOutsideRequired_IsReported() =>
        AssertBroken("lies entirely outside required range", [T(2 * P, 5 * P), T(5 * P, 6 * P)]);

    [Fact]
    public void TranslationPastOptionalEnd_IsReported() =>
        AssertBroken("lies outside optional range", [T(2 * P, 9 * P)]);

    [Fact]
    public void TranslationBeforeOptionalStart_IsReported() =>
        Assert.Contains("lies outside optional range", TranslationChecks.CheckTranslateResult(
            s_required, s_required, AccessType.ReadOnly, [T(1 * P, 5 * P)], null)!.Message, StringComparison.Ordinal);

    [Fact]
    public void PermsMissingARequestedAccess_AreReported()
    {
        AssertBroken("does not permit all requested access types", [T(2 * P, 5 * P, perms: AccessType.ReadOnly)], at: AccessType.ReadWrite);
        AssertBroken("does not permit all requested access types", [T(2 * P, 5 * P, perms: AccessType.ReadWrite)], at: AccessType.ExecuteOnly);
        AssertBroken("does not permit all requested access types", [T(2 * P, 5 * P, perms: AccessType.NoAccess)], at: AccessType.ReadOnly);
    }

    [Fact]
    public void PermsOfALaterTranslation_AreChecked() =>
        AssertBroken("does not permit all requested access types",
            [T(2 * P, 3 * P, perms: AccessType.ReadWrite), T(3 * P, 5 * P, perms: AccessType.ReadOnly)], at: AccessType.ReadWrite);

    [Fact]
    public void NoTranslations_AndNoError_IsReported() => AssertBroken("no Translations and no error", []);

    [Fact]
    public void ShortOfRequiredEnd_WithoutError_IsReported()
    {
        AssertBroken("does not reach end of required range", [T(2 * P, 4 * P)]);
        AssertBroken("does not reach end of required range", [T(1 * P, 3 * P), T(3 * P, 4 * P)]);
    }

    [Fact]
    public void TheFirstBrokenPostcondition_IsTheOneReported()
    {
        // The second translation is unaligned *and* leaves a hole; Source is checked first.
        AssertBroken("has unaligned Source", [T(2 * P, 3 * P), T((4 * P) + 1, 5 * P)]);
        // A per-translation violation wins over the missing coverage at the end.
        AssertBroken("has unaligned Offset", [T(2 * P, 3 * P, offset: 1)]);
    }

    [Fact]
    public void ReportedErrors_AreFreshValues_NotTheTranslateError()
    {
        Error? result = Check([T(3 * P, 5 * P)], Errno.EFAULT);
        Assert.NotNull(result);
        Assert.False(result.Is(Errno.EFAULT));
    }
}
