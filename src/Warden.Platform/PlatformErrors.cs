using Warden.Errors;

namespace Warden.Platform;

/// <summary>
/// The errors the platform contracts define: why <see cref="IPlatformContext.Switch"/> came back
/// without a system call, and why address-space I/O is refused.
/// </summary>
/// <remarks>Each is a single preallocated instance: compare by reference or with <see cref="Error.Is"/>.</remarks>
public static class PlatformErrors
{
    /// <summary>
    /// <see cref="IPlatformContext.Switch"/> stopped because the thread received a signal; the
    /// signal's details are in the <see cref="SignalInfo"/> that <c>Switch</c> filled in.
    /// </summary>
    public static readonly SentinelError ContextSignal = new("interrupted by signal");

    /// <summary>
    /// Like <see cref="ContextSignal"/>, but the signal may have come from executing <c>CPUID</c>
    /// (which some platforms trap). The caller checks whether the instruction at the thread's
    /// instruction pointer is <c>CPUID</c>: if so it emulates the instruction; if not it handles the
    /// signal as for <see cref="ContextSignal"/>.
    /// </summary>
    public static readonly SentinelError ContextSignalCPUID = new("interrupted by signal, possible CPUID");

    /// <summary>
    /// <see cref="IPlatformContext.Switch"/> stopped because <see cref="IPlatformContext.Interrupt"/>
    /// was called. It may also be returned spuriously.
    /// </summary>
    public static readonly SentinelError ContextInterrupt = new("interrupted by IPlatformContext.Interrupt()");

    /// <summary>
    /// <see cref="IPlatformContext.Switch"/> stopped (or did not start) because the CPU it was
    /// asked to run on may no longer hold the thread's state exclusively. Exactly when is listed on
    /// <see cref="IPlatformContext.Switch"/>.
    /// </summary>
    public static readonly SentinelError ContextCPUPreempted = new("interrupted by CPU preemption");

    /// <summary>
    /// An <see cref="IAddressSpaceIO"/> method was called on an address space whose platform does
    /// not support I/O through its address spaces (<see cref="IPlatform.SupportsAddressSpaceIO"/>
    /// is <c>false</c>). Callers that checked that property never see it.
    /// </summary>
    public static readonly SentinelError AddressSpaceIOUnavailable = new("this platform does not support AddressSpaceIO");
}
