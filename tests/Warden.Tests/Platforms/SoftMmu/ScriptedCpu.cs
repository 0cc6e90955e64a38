using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>
/// A reference <see cref="ISoftMmuCpu"/> for tests: it runs a fixed list of steps against the address
/// space through <see cref="IAddressSpaceIO"/>, keeping its program counter (the step index) in
/// <c>rip</c>. A step that faults is not consumed, as a faulting instruction restarts; running off the
/// end of the script raises <c>SIGILL</c>.
/// </summary>
internal sealed class ScriptedCpu : ISoftMmuCpu
{
    private readonly Step[] _steps;

    public ScriptedCpu(params Step[] steps) => _steps = steps;

    /// <summary>What each <see cref="Read"/> step read, in order.</summary>
    public List<byte[]> Reads { get; } = [];

    /// <summary>How many times <see cref="Run"/> was called.</summary>
    public int Runs { get; private set; }

    /// <summary>Set while a <see cref="Spin"/> step is spinning.</summary>
    public ManualResetEventSlim Spinning { get; } = new();

    public SoftMmuExit Run(SoftMmuAddressSpace addressSpace, ArchContext context, CancellationToken interrupt)
    {
        Runs++;
        ref PtraceRegs regs = ref context.Registers;
        while (regs.Rip < (ulong)_steps.Length)
        {
            Step step = _steps[regs.Rip];
            switch (step)
            {
                case Read r:
                {
                    var buffer = new byte[r.Length];
                    (int n, Error? error) = addressSpace.CopyIn(r.Addr, buffer);
                    if (error is SegmentationFault fault)
                    {
                        return SoftMmuExit.Fault(fault.Addr, AccessType.ReadOnly);
                    }
                    Assert.Null(error);
                    Assert.Equal(r.Length, n);
                    Reads.Add(buffer);
                    break;
                }
                case Write w:
                {
                    (_, Error? error) = addressSpace.CopyOut(w.Addr, w.Data);
                    if (error is SegmentationFault fault)
                    {
                        return SoftMmuExit.Fault(fault.Addr, AccessType.WriteOnly);
                    }
                    Assert.Null(error);
                    break;
                }
                case Syscall s:
                    regs.Rip++;
                    regs.Rax = s.Number;
                    regs.OrigRax = s.Number;
                    return SoftMmuExit.Syscall;
                case Raise raise:
                    regs.Rip++;
                    return SoftMmuExit.Signal(raise.Info, raise.Access);
                case Spin:
                    Spinning.Set();
                    var wait = new SpinWait();
                    while (!interrupt.IsCancellationRequested)
                    {
                        wait.SpinOnce();
                    }
                    Spinning.Reset();
                    regs.Rip++;
                    return SoftMmuExit.Interrupted;
                case Invoke invoke:
                    invoke.Action();
                    break;
                case ReturnDefault:
                    regs.Rip++;
                    return default;
                case Throw:
                    regs.Rip++;
                    throw new InvalidProgramException("scripted CPU failure");
            }
            regs.Rip++;
        }
        var info = new SignalInfo { Signo = SignalInfo.SIGILL };
        return SoftMmuExit.Signal(info);
    }

    public abstract record Step;

    /// <summary>Reads <paramref name="Length"/> bytes at <paramref name="Addr"/> (into <see cref="Reads"/>).</summary>
    public sealed record Read(Addr Addr, int Length) : Step;

    /// <summary>Writes <paramref name="Data"/> at <paramref name="Addr"/>.</summary>
    public sealed record Write(Addr Addr, byte[] Data) : Step;

    /// <summary>Makes system call <paramref name="Number"/> (in <c>rax</c> and <c>orig_rax</c>).</summary>
    public sealed record Syscall(ulong Number) : Step;

    /// <summary>Stops with the signal <paramref name="Info"/>.</summary>
    public sealed record Raise(SignalInfo Info, AccessType Access = default) : Step;

    /// <summary>Spins until interrupted, then stops with an interrupted exit.</summary>
    public sealed record Spin : Step;

    /// <summary>Runs <paramref name="Action"/> and goes on.</summary>
    public sealed record Invoke(Action Action) : Step;

    /// <summary>Returns <c>default(SoftMmuExit)</c>, which a CPU must never do.</summary>
    public sealed record ReturnDefault : Step;

    /// <summary>Throws from <see cref="Run"/>.</summary>
    public sealed record Throw : Step;
}
