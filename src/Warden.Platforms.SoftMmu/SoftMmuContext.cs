using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// The execution context of one application thread on a <see cref="SoftMmuPlatform"/>: <see cref="Switch"/>
/// runs the context's <see cref="ISoftMmuCpu"/> and turns its exit into the platform contract's result.
/// </summary>
/// <remarks>
/// <para>
/// <b>Interrupts:</b> <see cref="Interrupt"/> cancels the token of a running <see cref="Switch"/>, which
/// then returns <see cref="PlatformErrors.ContextInterrupt"/> as soon as the CPU stops. With no
/// <see cref="Switch"/> running it leaves one pending interrupt: the next <see cref="Switch"/> returns
/// <see cref="PlatformErrors.ContextInterrupt"/> at once without running the CPU (several such calls
/// still make one). An interrupt that arrives while the CPU is already returning another exit (a system
/// call, a fault) is not lost: that exit is reported, and the interrupt is left pending.
/// </para>
/// <para>
/// <b>Thread safety:</b> <see cref="Interrupt"/> may be called from any thread; <see cref="Switch"/> by
/// one thread at a time (a concurrent second <see cref="Switch"/> throws). One lock guards the interrupt
/// state; the CPU runs outside it, and <see cref="Interrupt"/> cancels the token inside it, so callbacks a
/// CPU registers on the token must be quick and must not wait for the switching thread.
/// </para>
/// </remarks>
public sealed class SoftMmuContext : IPlatformContext
{
    private readonly Lock _lock = new();

    // Guarded by _lock. _interrupt is replaced (after a cancellation) only while no Switch runs.
    private CancellationTokenSource _interrupt = new();
    private bool _running;
    private bool _interruptPending;

    internal SoftMmuContext(SoftMmuPlatform platform, ISoftMmuCpu cpu)
    {
        Platform = platform;
        Cpu = cpu;
    }

    /// <summary>The platform that made this context.</summary>
    public SoftMmuPlatform Platform { get; }

    /// <summary>The CPU this context runs.</summary>
    public ISoftMmuCpu Cpu { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>Exits map to results as follows: <see cref="SoftMmuExitKind.Syscall"/> gives <c>(default, null)</c>;
    /// <see cref="SoftMmuExitKind.Fault"/> gives <c>(access, ContextSignal)</c> with a <c>SIGSEGV</c> whose
    /// <c>Addr</c> is the fault address and whose <c>Code</c> is <c>SEGV_MAPERR</c> if nothing is mapped
    /// there and <c>SEGV_ACCERR</c> otherwise; <see cref="SoftMmuExitKind.Signal"/> gives
    /// <c>(access, ContextSignal)</c> with the CPU's signal; <see cref="SoftMmuExitKind.Interrupted"/>
    /// gives <c>(default, ContextInterrupt)</c>. <paramref name="cpu"/> is ignored (the platform does not
    /// detect preemption). Allocates nothing unless interrupted.</para>
    /// <para><b>Preconditions:</b> <paramref name="addressSpace"/> is a <see cref="SoftMmuAddressSpace"/> of
    /// this context's platform (else <see cref="ArgumentException"/>) and not released (else
    /// <see cref="ObjectDisposedException"/>); no other <see cref="Switch"/> is running on this context
    /// (else <see cref="InvalidOperationException"/>). An exception from the CPU propagates, and drops any
    /// interrupt that arrived during that run.</para>
    /// </remarks>
    public (AccessType At, Error? Error) Switch(IAddressSpace addressSpace, ArchContext archContext, int cpu, out SignalInfo signalInfo)
    {
        signalInfo = default;
        ArgumentNullException.ThrowIfNull(addressSpace);
        ArgumentNullException.ThrowIfNull(archContext);
        if (addressSpace is not SoftMmuAddressSpace softAs || softAs.Platform != Platform)
        {
            ThrowHelper.ThrowArgument(nameof(addressSpace), "Switch needs an address space made by the same SoftMmuPlatform as the context.");
            return default;
        }
        softAs.ThrowIfReleased();

        CancellationToken token;
        lock (_lock)
        {
            if (_running)
            {
                ThrowHelper.ThrowInvalidOperation("Switch is already running on this context on another thread; a context runs one thread at a time.");
            }
            if (_interruptPending)
            {
                _interruptPending = false;
                return (default, PlatformErrors.ContextInterrupt);
            }
            _running = true;
            token = _interrupt.Token;
        }

        SoftMmuExit exit;
        try
        {
            exit = Cpu.Run(softAs, archContext, token);
        }
        catch
        {
            EndRun(interruptConsumed: true);
            throw;
        }
        EndRun(interruptConsumed: exit.Kind == SoftMmuExitKind.Interrupted);

        switch (exit.Kind)
        {
            case SoftMmuExitKind.Syscall:
                return (default, null);
            case SoftMmuExitKind.Fault:
                signalInfo.Signo = SignalInfo.SIGSEGV;
                signalInfo.Code = softAs.Lookup(exit.FaultAddress).Mapped ? SignalInfo.SEGV_ACCERR : SignalInfo.SEGV_MAPERR;
                signalInfo.Addr = exit.FaultAddress.Value;
                return (exit.Access, PlatformErrors.ContextSignal);
            case SoftMmuExitKind.Signal:
                signalInfo = exit.SignalInfo;
                return (exit.Access, PlatformErrors.ContextSignal);
            case SoftMmuExitKind.Interrupted:
                return (default, PlatformErrors.ContextInterrupt);
            default:
                ThrowHelper.ThrowInvalidOperation("The CPU returned an exit of kind {0}; ISoftMmuCpu.Run must return a SoftMmuExit made by its static members.", exit.Kind);
                return default;
        }
    }

    /// <inheritdoc/>
    /// <remarks>See the class remarks for what happens when no <see cref="Switch"/> is running.</remarks>
    public void Interrupt()
    {
        lock (_lock)
        {
            if (_running)
            {
                _interrupt.Cancel();
            }
            else
            {
                _interruptPending = true;
            }
        }
    }

    // Marks the run over; if the token was cancelled, gives the next run a fresh one and, unless the CPU
    // reported the interrupt, keeps it pending.
    private void EndRun(bool interruptConsumed)
    {
        CancellationTokenSource? spent = null;
        lock (_lock)
        {
            _running = false;
            if (_interrupt.IsCancellationRequested)
            {
                spent = _interrupt;
                _interrupt = new CancellationTokenSource();
                _interruptPending |= !interruptConsumed;
            }
        }
        spent?.Dispose();
    }
}
