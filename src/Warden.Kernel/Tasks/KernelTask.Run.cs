using System.Diagnostics;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Signals;
using Warden.Kernel.Syscalls;
using Warden.MemMap;
using Warden.Mm;
using Warden.Platform;

namespace Warden.Kernel.Tasks;

internal sealed partial class KernelTask
{
    // The legacy vsyscall page, which the host emulates and the stub's filter traps.
    private const ulong VsyscallStart = 0xffff_ffff_ff60_0000;
    private const ulong VsyscallEnd = VsyscallStart + 0x1000;
    private const int SYS_SECCOMP = 1;

    private Thread? _thread;

    /// <summary>Set by exit(2) of this thread alone.</summary>
    private bool _exited;

    /// <summary>Starts the task's Warden thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"warden task {Tid}" };
        _thread.Start();
    }

    /// <summary>Waits for the task's Warden thread to end.</summary>
    public void Join() => _thread?.Join();

    private void Run()
    {
        try
        {
            RunLoop();
        }
        catch (Exception e)
        {
            // A bug in Warden: the program cannot go on, but Warden must not die with it.
            Kernel.ReportInternalError(this, e);
            Group.BeginExit(ExitStatus.Killed(Signal.SIGKILL));
        }
        finally
        {
            try
            {
                Group.TaskEnded(this);
            }
            catch (Exception e)
            {
                // Tearing the process down failed (a bug in Warden): say so, but never take the host down.
                Kernel.ReportInternalError(this, e);
            }
        }
    }

    private void RunLoop()
    {
        IAddressSpace? space = null;
        MemoryManager? active = null;
        while (!_exited && !Group.Killed.IsCancellationRequested)
        {
            HandleSignals();
            if (_exited || Group.Killed.IsCancellationRequested)
            {
                break;
            }
            if (!ReferenceEquals(active, MM))
            {
                // The first switch, or the first after execve gave the process a new address space.
                active = MM;
                space = ActivateAddressSpace(active);
                if (space is null)
                {
                    return;
                }
            }
            long switchStart = BeginSwitchAccounting();
            (AccessType at, Error? switchError) = PlatformContext.Switch(space!, Arch, -1, out SignalInfo info);
            EndSwitchAccounting(switchStart);
            if (switchError is null)
            {
                SyscallDispatcher.Dispatch(this);
                continue;
            }
            if (ReferenceEquals(switchError, PlatformErrors.ContextInterrupt))
            {
                continue;
            }
            if (ReferenceEquals(switchError, PlatformErrors.ContextSignal) || ReferenceEquals(switchError, PlatformErrors.ContextSignalCPUID))
            {
                HandleSignalStop(in info, at);
                continue;
            }
            // The stub is gone (killed from outside, or an injected call failed): the process cannot run.
            Kernel.ReportInternalError(this, new InvalidOperationException($"The program's address space failed: {switchError.Message}"));
            Group.BeginExit(ExitStatus.Killed(Signal.SIGKILL));
        }
    }

    // Makes the platform address space of `mm` (retrying while the platform asks to), or ends the
    // process when there can be none.
    private IAddressSpace? ActivateAddressSpace(MemoryManager mm)
    {
        (System.Threading.Tasks.Task? retry, Error? error) = mm.Activate(this);
        while (error is null && retry is not null)
        {
            retry.Wait(CancellationToken);
            (retry, error) = mm.Activate(this);
        }
        if (error is not null || mm.AddressSpace is null)
        {
            Kernel.ReportInternalError(this, new InvalidOperationException($"No address space for the program: {error?.Message}"));
            Group.BeginExit(ExitStatus.Killed(Signal.SIGKILL));
            return null;
        }
        return mm.AddressSpace;
    }

    /// <summary>Ends this thread alone (exit(2)); the process ends with its last thread.</summary>
    public void ExitThread(int code)
    {
        _exited = true;
        if (Group.Tasks().Length == 1)
        {
            Group.BeginExit(ExitStatus.Exited(code));
        }
    }

    private void HandleSignalStop(in SignalInfo info, AccessType at)
    {
        switch (info.Signo)
        {
            case SignalInfo.SIGSEGV:
            {
                long start = Stopwatch.GetTimestamp();
                Error? error = MM.HandleUserFault(this, (Addr)info.Addr, at, (Addr)Arch.Registers.Rsp);
                Kernel.Stats.AddFault(Stopwatch.GetTimestamp() - start);
                if (error is null)
                {
                    return;
                }
                SignalInfo delivered = info;
                // Whether anything is mapped there decides the code, not how the platform saw it
                // (Warden maps pages into the platform lazily).
                delivered.Code = ReferenceEquals(error, Errno.EACCES) ? SignalInfo.SEGV_ACCERR : SignalInfo.SEGV_MAPERR;
                if (error is BusError)
                {
                    // BUS_ADRERR: the address is mapped but has nothing behind it (past the end of a file).
                    delivered.Signo = Signal.SIGBUS;
                    delivered.Code = SignalCodes.BUS_ADRERR;
                }
                DeliverFatal(in delivered);
                return;
            }
            case Signal.SIGSYS when info.Code == SYS_SECCOMP && info.CallAddr >= VsyscallStart && info.CallAddr < VsyscallEnd:
                EmulateVsyscall(info.Syscall);
                return;
            case SignalInfo.SIGCHLD:
                // The leftover of an interrupt (IPlatformContext.SignalInterrupt).
                return;
            default:
                DeliverFatal(in info);
                return;
        }
    }

    /// <summary>
    /// A signal the CPU raised for the program (a fault Warden cannot resolve, an illegal
    /// instruction, a trap): forced on the task, so that its handler runs or it dies of it.
    /// </summary>
    private void DeliverFatal(in SignalInfo info) => ForceSignal(in info);

    private void DeliverFatal(int signal)
    {
        var info = new SignalInfo { Signo = signal, Code = SignalCodes.SI_KERNEL };
        DeliverFatal(in info);
    }

    private void EmulateVsyscall(int number)
    {
        ref PtraceRegs regs = ref Arch.Registers;
        if (regs.Rip >= VsyscallStart && regs.Rip < VsyscallEnd)
        {
            // The host left the return to us: pop the caller's address.
            (_, Error? error) = CopyObjectIn((Addr)regs.Rsp, out ulong ret);
            if (error is not null)
            {
                DeliverFatal(Signal.SIGSEGV);
                return;
            }
            regs.Rip = ret;
            regs.Rsp += 8;
        }
        if (number is not (SyscallNumbers.Gettimeofday or SyscallNumbers.Time or SyscallNumbers.Getcpu))
        {
            DeliverFatal(Signal.SIGSEGV);
            return;
        }
        regs.OrigRax = (ulong)number;
        regs.Rax = (ulong)number;
        SyscallDispatcher.Dispatch(this);
    }
}
