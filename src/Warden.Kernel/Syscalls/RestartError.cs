using Warden.Errors;

namespace Warden.Kernel.Syscalls;

/// <summary>
/// The error a blocking operation returns when a signal interrupted it before anything was done:
/// it wraps EINTR, and the system call layer turns it into a restart of its <see cref="Kind"/>
/// (see <see cref="SyscallReturn.Partial"/>). One preallocated instance per kind.
/// </summary>
internal sealed class RestartError : Error
{
    private RestartError(RestartKind kind) => Kind = kind;

    /// <summary>ERESTARTSYS: what interrupted reads, writes and waits return.</summary>
    public static RestartError Sys { get; } = new(RestartKind.RestartSys);

    /// <summary>ERESTARTNOHAND: for calls that never restart after a handler (poll, pause).</summary>
    public static RestartError NoHand { get; } = new(RestartKind.RestartNoHand);

    public RestartKind Kind { get; }

    /// <inheritdoc/>
    public override string Message => $"interrupted by a signal ({Kind})";

    /// <inheritdoc/>
    public override Error? Unwrap() => Errno.EINTR;
}
