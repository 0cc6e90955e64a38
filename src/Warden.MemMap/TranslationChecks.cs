using System.Diagnostics.CodeAnalysis;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>The postconditions of <see cref="IMappable.Translate"/>, as a check that tests and debug builds can run.</summary>
public static class TranslationChecks
{
    /// <summary>
    /// Returns an error naming the first postcondition of <c>Translate(required, optional, at)</c> that
    /// the result (<paramref name="translations"/>, <paramref name="translateError"/>) breaks, or <c>null</c>.
    /// </summary>
    /// <remarks>
    /// The postconditions: the first translation covers <c>required.Start</c>; each translation has a
    /// non-empty page-aligned source, a file, a page-aligned offset, follows the previous one without
    /// a hole, overlaps <paramref name="required"/>, lies within <paramref name="optional"/> and permits
    /// every access in <paramref name="at"/>; and without an error, the translations reach
    /// <c>required.End</c>.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The inputs break <see cref="IMappable.Translate"/>'s preconditions: <paramref name="required"/> is
    /// ill-formed, empty or unaligned, or <paramref name="optional"/> is unaligned or not a superset of it.
    /// </exception>
    public static Error? CheckTranslateResult(
        MappableRange required, MappableRange optional, AccessType at, ReadOnlySpan<Translation> translations, Error? translateError)
    {
        if (!required.WellFormed || required.Length == 0)
        {
            ThrowInvalid($"invalid required range: {required}");
        }
        if (!required.IsPageAligned)
        {
            ThrowInvalid($"unaligned required range: {required}");
        }
        if (!optional.IsSupersetOf(required))
        {
            ThrowInvalid($"optional range {optional} is not a superset of required range {required}");
        }
        if (!optional.IsPageAligned)
        {
            ThrowInvalid($"unaligned optional range: {optional}");
        }

        if (translations.Length != 0 && !translations[0].Source.Contains(required.Start))
        {
            return new TranslateCheckError($"first Translation {translations[0]} does not cover start of required range {required}");
        }
        for (int i = 0; i < translations.Length; i++)
        {
            Translation t = translations[i];
            if (!t.Source.WellFormed || t.Source.Length == 0)
            {
                return new TranslateCheckError($"Translation {t} has invalid Source");
            }
            if (!t.Source.IsPageAligned)
            {
                return new TranslateCheckError($"Translation {t} has unaligned Source");
            }
            if (t.File is null)
            {
                return new TranslateCheckError($"Translation {t} has no File");
            }
            if (!Arch.IsPageAligned(t.Offset))
            {
                return new TranslateCheckError($"Translation {t} has unaligned Offset");
            }
            if (i > 0 && translations[i - 1].Source.End != t.Source.Start)
            {
                return new TranslateCheckError($"Translation {translations[i - 1]} and Translation {t} are not contiguous");
            }
            if (t.Source.Intersect(required).Length == 0)
            {
                return new TranslateCheckError($"Translation {t} lies entirely outside required range {required}");
            }
            if (!optional.IsSupersetOf(t.Source))
            {
                return new TranslateCheckError($"Translation {t} lies outside optional range {optional}");
            }
            if (!t.Perms.SupersetOf(at))
            {
                return new TranslateCheckError($"Translation {t} does not permit all requested access types {at}");
            }
        }
        if (translateError is null)
        {
            if (translations.Length == 0)
            {
                return new TranslateCheckError("no Translations and no error");
            }
            Translation last = translations[^1];
            if (!last.Source.Contains(required.End - 1))
            {
                return new TranslateCheckError(
                    $"last Translation {last} does not reach end of required range {required}, but Translate returned no error");
            }
        }
        return null;
    }

    [DoesNotReturn]
    private static void ThrowInvalid(string problem) =>
        ThrowHelper.ThrowArgument(nameof(problem), "CheckTranslateResult called with inputs Translate forbids: {0}.", problem);

    /// <summary>A broken postcondition of <see cref="IMappable.Translate"/>.</summary>
    private sealed class TranslateCheckError(string message) : Error
    {
        public override string Message { get; } = message;
    }
}
