using Warden.Errors;

namespace Warden.Platforms.Ptrace;

/// <summary>A stub process could not be started: what failed, and the errno or exit status it failed with.</summary>
/// <remarks>Allocates: made only when starting a stub fails.</remarks>
public sealed class StubStartError : Error
{
    internal StubStartError(string step, Error? inner, int exitStatus = -1)
    {
        Step = step;
        Inner = inner;
        ExitStatus = exitStatus;
    }

    /// <summary>The step of starting the stub that failed.</summary>
    public string Step { get; }

    /// <summary>The error that step returned, if it returned one (for example the errno of <c>posix_spawn</c>).</summary>
    public Error? Inner { get; }

    /// <summary>The stub's exit status if it ended by itself, otherwise -1.</summary>
    public int ExitStatus { get; }

    /// <summary>
    /// Whether the failure means that this host does not let Warden trace its children (the stub's
    /// <c>PTRACE_TRACEME</c> failed, or tracing it was refused).
    /// </summary>
    public bool PtraceNotPermitted =>
        ExitStatus == (int)StubExitCode.TraceMe || Inner is Errno { Number: 1 or 13 };

    /// <inheritdoc/>
    public override string Message => ExitStatus >= 0
        ? $"starting the ptrace stub failed: {Step} (the stub exited with status {ExitStatus})"
        : $"starting the ptrace stub failed: {Step}{(Inner is null ? "" : ": " + Inner.Message)}";

    /// <inheritdoc/>
    public override Error? Unwrap() => Inner;
}
