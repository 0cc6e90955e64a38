using Warden.Errors;
using Warden.HostArch;

namespace Warden.Platform;

/// <summary>The execution context of one application thread on a platform (gVisor's <c>platform.Context</c>).</summary>
public interface IPlatformContext
{
    /// <summary>
    /// The signal (Linux's <c>SIGCHLD</c>) that implementations of <see cref="Interrupt"/> may send to
    /// kick a thread out of <see cref="Switch"/>.
    /// </summary>
    /// <remarks>
    /// Warden ignores this signal when it arrives at a context or at Warden itself, taking it to be
    /// the leftover of a race with <see cref="Interrupt"/>. <c>SIGCHLD</c> is chosen because managed
    /// runtimes, like Go's, leave it unblocked on every thread.
    /// </remarks>
    public const int SignalInterrupt = SignalInfo.SIGCHLD;

    /// <summary>
    /// Runs the thread whose state is <paramref name="archContext"/> in <paramref name="addressSpace"/>,
    /// blocking until it stops; the thread's state is updated in place.
    /// </summary>
    /// <param name="addressSpace">The address space to run in.</param>
    /// <param name="archContext">The thread's registers and floating-point state: read before running, written back after.</param>
    /// <param name="cpu">
    /// The CPU the caller believes the thread last ran on, or a negative number. If it is
    /// non-negative and the thread would run on another CPU, the context returns
    /// <see cref="PlatformErrors.ContextCPUPreempted"/>.
    /// </param>
    /// <param name="signalInfo">When the result is <see cref="PlatformErrors.ContextSignal"/> (or
    /// <see cref="PlatformErrors.ContextSignalCPUID"/>), the signal that stopped the thread; otherwise
    /// unspecified. It is the caller's copy.</param>
    /// <returns>
    /// Why the thread stopped, as the error:
    /// <list type="bullet">
    /// <item><c>null</c>: the thread made a system call (its number and arguments are in the registers).</item>
    /// <item><see cref="PlatformErrors.ContextSignal"/>: a signal stopped the thread;
    /// <paramref name="signalInfo"/> describes it. If it is <see cref="SignalInfo.SIGSEGV"/>,
    /// <c>At</c> is the kind of access that faulted.</item>
    /// <item><see cref="PlatformErrors.ContextSignalCPUID"/>: as <see cref="PlatformErrors.ContextSignal"/>,
    /// but the signal may stand for a trapped <c>CPUID</c> instruction that the caller should emulate.</item>
    /// <item><see cref="PlatformErrors.ContextInterrupt"/>: <see cref="Interrupt"/> was called. This may
    /// also happen spuriously; in particular, most implementations make the first <c>Switch</c> after an
    /// <see cref="Interrupt"/> that found no <c>Switch</c> running return it.</item>
    /// <item><see cref="PlatformErrors.ContextCPUPreempted"/>: the thread did not run, or stopped,
    /// because the CPU running it is not <paramref name="cpu"/>; or that CPU may have run another
    /// context since it last ran this one (or has run others and never this one); or
    /// <see cref="IPlatform.PreemptAllCPUs"/> was called since <c>Switch</c> last returned.</item>
    /// </list>
    /// <c>At</c> is meaningful only for a <see cref="SignalInfo.SIGSEGV"/> signal.
    /// </returns>
    /// <remarks>
    /// <b>Preconditions:</b> <paramref name="cpu"/> is non-negative only if the platform's
    /// <see cref="IPlatform.DetectsCPUPreemption"/> is <c>true</c> (other platforms may ignore it or
    /// throw); <paramref name="addressSpace"/> was made by the same platform.
    /// </remarks>
    (AccessType At, Error? Error) Switch(IAddressSpace addressSpace, ArchContext archContext, int cpu, out SignalInfo signalInfo);

    /// <summary>
    /// Makes a <see cref="Switch"/> running concurrently on another thread return
    /// <see cref="PlatformErrors.ContextInterrupt"/>. Safe to call from any thread.
    /// </summary>
    void Interrupt();

    /// <summary>
    /// Makes <paramref name="archContext"/>'s floating-point state current, for a caller that reads
    /// or changes part of it (a signal frame): a platform that keeps the state elsewhere between
    /// switches copies it back. Called by the thread that switches the context, with no switch running.
    /// </summary>
    /// <returns><c>null</c>, or why the state is lost.</returns>
    Error? PullFPState(ArchContext archContext) => null;
}
