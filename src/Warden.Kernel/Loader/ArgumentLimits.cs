using Warden.Errors;
using Warden.Mm;

namespace Warden.Kernel.Loader;

/// <summary>
/// How much argument and environment text execve accepts, as Linux's bprm_stack_limits and
/// copy_strings decide: each string (NUL included) at most MAX_ARG_STRLEN, and all of them together
/// (with the file name) within a quarter of RLIMIT_STACK, capped at 3/4 of 8 MiB, never less than
/// ARG_MAX, less the space the argv and envp pointers take.
/// </summary>
internal readonly struct ArgumentLimits
{
    /// <summary>MAX_ARG_STRLEN: 32 pages, the NUL included.</summary>
    public const int MaxArgStrlen = 32 * 4096;

    // ARG_MAX (32 pages) and _STK_LIM (8 MiB).
    private const ulong ArgMax = 32 * 4096;
    private const ulong StackLimitDefault = 8UL << 20;

    private readonly ulong _space;

    private ArgumentLimits(ulong space) => _space = space;

    /// <summary>
    /// The limit for a program started with <paramref name="argc"/> arguments and
    /// <paramref name="envc"/> environment strings (Linux computes it once, before any <c>#!</c>
    /// rewriting, from the counts the caller gave).
    /// </summary>
    /// <returns>The limit, or E2BIG when the pointers alone exceed it.</returns>
    public static (ArgumentLimits Limits, Error? Error) Create(ulong stackLimit, int argc, int envc)
    {
        ulong limit = Math.Max(Math.Min(StackLimitDefault / 4 * 3, stackLimit == ResourceLimits.Unlimited ? ulong.MaxValue : stackLimit / 4), ArgMax);
        ulong pointers = ((ulong)Math.Max(argc, 1) + (ulong)envc) * 8;
        if (limit <= pointers)
        {
            return (default, Errno.E2BIG);
        }
        return (new ArgumentLimits(limit - pointers), null);
    }

    /// <summary>
    /// Checks the strings execve copies onto the new stack: the file name, the environment and the
    /// arguments (each encoded, without its NUL).
    /// </summary>
    /// <returns>E2BIG if one string is too long or all of them do not fit; otherwise <see langword="null"/>.</returns>
    public Error? Check(byte[] fileName, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> envp)
    {
        ulong total = 0;
        bool fits = Add(ref total, fileName);
        for (int i = 0; fits && i < envp.Count; i++)
        {
            fits = Add(ref total, envp[i]);
        }
        for (int i = 0; fits && i < argv.Count; i++)
        {
            fits = Add(ref total, argv[i]);
        }
        return fits ? null : Errno.E2BIG;
    }

    private bool Add(ref ulong total, byte[] s)
    {
        if (s.Length + 1 > MaxArgStrlen)
        {
            return false;
        }
        total += (ulong)s.Length + 1;
        return total <= _space;
    }
}
