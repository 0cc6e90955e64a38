using Warden.Errors;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;

namespace Warden.Cli;

/// <summary>
/// The exit statuses and messages of <c>warden run</c>, which are those of <c>env(1)</c> and
/// <c>chroot(1)</c> for its own failures and a shell's for the program's end.
/// </summary>
internal static class ShellStatus
{
    /// <summary>Warden itself failed (a bad option, no platform): <c>env</c>'s and <c>chroot</c>'s 125.</summary>
    public const int WardenFailed = 125;

    /// <summary>The program exists but cannot be executed (EACCES, ENOEXEC, ...).</summary>
    public const int CannotExecute = 126;

    /// <summary>The program does not exist.</summary>
    public const int NotFound = 127;

    /// <summary>The status for a program that could not be started because of <paramref name="error"/>.</summary>
    /// <returns>
    /// <see cref="NotFound"/> for ENOENT, <see cref="CannotExecute"/> for any other errno (as
    /// <c>env</c> decides), <see cref="WardenFailed"/> for an error that is not a program's errno.
    /// </returns>
    public static int ForStartError(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Errno? errno = FindErrno(error);
        return errno is null ? WardenFailed : ReferenceEquals(errno, Errno.ENOENT) ? NotFound : CannotExecute;
    }

    /// <summary>
    /// Words for a person about <paramref name="error"/>: an errno's description ("No such file or
    /// directory"), followed by the details in parentheses when the error wraps one; otherwise the
    /// error's message.
    /// </summary>
    public static string Describe(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is Errno bare)
        {
            return bare.Description;
        }
        Errno? errno = FindErrno(error);
        return errno is null ? error.Message : $"{errno.Description} ({error.Message})";
    }

    /// <summary>
    /// What bash prints on its own line when a foreground job ends with <paramref name="status"/>, or
    /// <c>null</c> when it prints nothing: after an exit, and after death by SIGINT (the user pressed
    /// Ctrl-C and knows) or SIGPIPE (a pipeline's reader went away: normal). Never " (core dumped)":
    /// Warden writes no core.
    /// </summary>
    public static string? Message(ExitStatus status)
    {
        if (!status.Signaled || status.Signal is Signal.SIGINT or Signal.SIGPIPE)
        {
            return null;
        }
        return SignalDescription(status.Signal);
    }

    /// <summary>strsignal(3)'s words for <paramref name="signal"/>, as bash prints them.</summary>
    public static string SignalDescription(int signal) => signal switch
    {
        // glibc reserves 32 and 33 for itself: SIGRTMIN is 34, and strsignal names neither.
        32 or 33 => $"Unknown signal {signal}",
        >= 1 and <= Signal.Max => Signal.Description(signal),
        _ => $"Unknown signal {signal}",
    };

    private static Errno? FindErrno(Error error)
    {
        for (Error? e = error; e is not null; e = e.Unwrap())
        {
            if (e is Errno errno)
            {
                return errno;
            }
        }
        return null;
    }
}
