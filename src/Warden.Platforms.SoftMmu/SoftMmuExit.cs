using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.SoftMmu;

/// <summary>What <see cref="ISoftMmuCpu.Run"/> returns: why the thread stopped, and the details <c>Switch</c> reports.</summary>
/// <remarks>Made only by the static members; a value type, so returning one allocates nothing.</remarks>
public readonly struct SoftMmuExit
{
    private SoftMmuExit(SoftMmuExitKind kind, Addr faultAddress, AccessType access, in SignalInfo signalInfo)
    {
        Kind = kind;
        FaultAddress = faultAddress;
        Access = access;
        SignalInfo = signalInfo;
    }

    /// <summary>The thread made a system call.</summary>
    public static SoftMmuExit Syscall => new(SoftMmuExitKind.Syscall, default, default, default);

    /// <summary>The run was interrupted.</summary>
    public static SoftMmuExit Interrupted => new(SoftMmuExitKind.Interrupted, default, default, default);

    /// <summary>Why the thread stopped.</summary>
    public SoftMmuExitKind Kind { get; }

    /// <summary>For <see cref="SoftMmuExitKind.Fault"/>: the address whose access faulted.</summary>
    public Addr FaultAddress { get; }

    /// <summary>For <see cref="SoftMmuExitKind.Fault"/> (and a <c>SIGSEGV</c> <see cref="SoftMmuExitKind.Signal"/>): the kind of access that faulted.</summary>
    public AccessType Access { get; }

    /// <summary>For <see cref="SoftMmuExitKind.Signal"/>: the signal, as <c>Switch</c> hands it on.</summary>
    public SignalInfo SignalInfo { get; }

    /// <summary>A memory access of kind <paramref name="access"/> at <paramref name="address"/> faulted.</summary>
    /// <remarks>
    /// <c>Switch</c> reports it as <c>SIGSEGV</c> at <paramref name="address"/>, with <c>SEGV_MAPERR</c> if
    /// nothing is mapped there and <c>SEGV_ACCERR</c> otherwise. <b>Precondition:</b>
    /// <c><paramref name="access"/>.Any</c> (else <see cref="ArgumentException"/>).
    /// </remarks>
    public static SoftMmuExit Fault(Addr address, AccessType access)
    {
        if (!access.Any)
        {
            ThrowHelper.ThrowArgument(nameof(access), "A fault exit needs the kind of access that faulted.");
        }
        return new SoftMmuExit(SoftMmuExitKind.Fault, address, access, default);
    }

    /// <summary>The signal <paramref name="signalInfo"/> stopped the thread.</summary>
    /// <param name="signalInfo">The signal, handed on unchanged by <c>Switch</c>.</param>
    /// <param name="access">If the signal is <c>SIGSEGV</c>, the kind of access that faulted; otherwise ignored.</param>
    public static SoftMmuExit Signal(in SignalInfo signalInfo, AccessType access = default) =>
        new(SoftMmuExitKind.Signal, default, access, signalInfo);

    /// <summary>Describes the exit, for diagnostics.</summary>
    public override string ToString() => Kind switch
    {
        SoftMmuExitKind.Fault => $"Fault({FaultAddress}, {Access})",
        SoftMmuExitKind.Signal => $"Signal({SignalInfo.Signo})",
        _ => Kind.ToString(),
    };
}
