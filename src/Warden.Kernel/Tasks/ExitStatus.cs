namespace Warden.Kernel.Tasks;

/// <summary>How a process ended: with an exit code, or killed by a signal.</summary>
public readonly record struct ExitStatus
{
    private ExitStatus(int code, int signal)
    {
        Code = code;
        Signal = signal;
    }

    /// <summary>The exit code (0-255) when <see cref="Signal"/> is 0.</summary>
    public int Code { get; }

    /// <summary>The signal that killed the process, or 0.</summary>
    public int Signal { get; }

    /// <summary>Whether a signal killed the process.</summary>
    public bool Signaled => Signal != 0;

    /// <summary>An exit with <paramref name="code"/> (only its low 8 bits count, as on Linux).</summary>
    public static ExitStatus Exited(int code) => new(code & 0xff, 0);

    /// <summary>Death by <paramref name="signal"/>.</summary>
    public static ExitStatus Killed(int signal) => new(0, signal);

    /// <summary>The status a shell reports: the code, or 128 + the signal.</summary>
    public int ShellStatus => Signaled ? 128 + Signal : Code;

    /// <summary>The status word wait(2) gives a parent.</summary>
    public int WaitStatus => Signaled ? Signal & 0x7f : (Code & 0xff) << 8;

    /// <inheritdoc/>
    public override string ToString() => Signaled ? $"killed by signal {Signal}" : $"exited with {Code}";
}
