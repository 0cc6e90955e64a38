namespace Warden.Kernel.Signals;

/// <summary>Linux's x86-64 signal numbers, their default actions, and the words shells print for them.</summary>
internal static class Signal
{
    /// <summary>The highest signal number (real-time signals included).</summary>
    public const int Max = 64;

    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGILL = 4;
    public const int SIGTRAP = 5;
    public const int SIGABRT = 6;
    public const int SIGBUS = 7;
    public const int SIGFPE = 8;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGALRM = 14;
    public const int SIGTERM = 15;
    public const int SIGSTKFLT = 16;
    public const int SIGCHLD = 17;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;
    public const int SIGURG = 23;
    public const int SIGXCPU = 24;
    public const int SIGXFSZ = 25;
    public const int SIGVTALRM = 26;
    public const int SIGPROF = 27;
    public const int SIGWINCH = 28;
    public const int SIGIO = 29;
    public const int SIGPWR = 30;
    public const int SIGSYS = 31;

    /// <summary>The first real-time signal number (SIGRTMIN of the kernel; the C library keeps a few for itself).</summary>
    public const int FirstRealTime = 32;

    /// <summary>The stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), as a set.</summary>
    public const ulong StopSet = (1UL << (SIGSTOP - 1)) | (1UL << (SIGTSTP - 1)) | (1UL << (SIGTTIN - 1)) | (1UL << (SIGTTOU - 1));

    private static readonly string[] s_names =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    // What bash prints when a foreground job dies of the signal (strsignal's words).
    private static readonly string[] s_descriptions =
    [
        "", "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted", "Bus error",
        "Floating point exception", "Killed", "User defined signal 1", "Segmentation fault", "User defined signal 2",
        "Broken pipe", "Alarm clock", "Terminated", "Stack fault", "Child exited", "Continued", "Stopped (signal)",
        "Stopped", "Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition", "CPU time limit exceeded",
        "File size limit exceeded", "Virtual timer expired", "Profiling timer expired", "Window changed", "I/O possible",
        "Power failure", "Bad system call",
    ];

    /// <summary>Whether <paramref name="signal"/> is a valid signal number (1 to 64).</summary>
    public static bool IsValid(int signal) => signal is >= 1 and <= Max;

    /// <summary>The signal's name (<c>SIGSEGV</c>, <c>SIGRT3</c>), or its number.</summary>
    public static string Name(int signal) =>
        signal > 0 && signal < s_names.Length ? s_names[signal] : signal is >= 32 and <= Max ? $"SIGRT{signal - 32}" : signal.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What a shell prints when a program dies of <paramref name="signal"/> ("Segmentation fault").</summary>
    public static string Description(int signal) =>
        signal > 0 && signal < s_descriptions.Length ? s_descriptions[signal]
            : signal >= 34 && signal <= Max ? $"Real-time signal {signal - 34}"
            : $"Unknown signal {signal}";

    /// <summary>Whether the default action dumps core (the shell adds "(core dumped)" when one is written).</summary>
    public static bool DefaultDumpsCore(int signal) =>
        signal is SIGQUIT or SIGILL or SIGTRAP or SIGABRT or SIGBUS or SIGFPE or SIGSEGV or SIGXCPU or SIGXFSZ or SIGSYS;

    /// <summary>Whether the default action is to ignore the signal.</summary>
    public static bool DefaultIgnores(int signal) => signal is SIGCHLD or SIGURG or SIGWINCH or SIGCONT;

    /// <summary>Whether the default action stops the process.</summary>
    public static bool DefaultStops(int signal) => signal is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU;

    /// <summary>Whether the default action ends the process (with or without a core dump).</summary>
    public static bool DefaultKills(int signal) => !DefaultIgnores(signal) && !DefaultStops(signal);

    /// <summary>The bit of <paramref name="signal"/> in a signal set.</summary>
    public static ulong Bit(int signal) => 1UL << (signal - 1);

    /// <summary>The signals no mask or handler can touch.</summary>
    public const ulong Unblockable = (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));
}
