using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;
using Warden.Mm;
using Warden.Platform;
using Warden.UserMem;

namespace Warden.Kernel.Syscalls;

// New processes: fork(2), vfork(2), and clone(2) with the flags C libraries use for processes.
// The child's memory is a copy-on-write MemoryManager.Fork of the parent's (or, for CLONE_VM with
// CLONE_VFORK, the parent's own until the child execs or exits); its registers the parent's with
// rax 0; its descriptors a copy sharing the open file descriptions; its signal actions a copy,
// its mask the parent's, nothing pending. Threads (CLONE_THREAD and the flags that come with
// them) are another issue's: EINVAL until then.
internal static partial class Sys
{
    private const ulong CSIGNAL = 0xff;
    private const ulong CLONE_VM = 0x100;
    private const ulong CLONE_SIGHAND = 0x800;
    private const ulong CLONE_VFORK = 0x4000;
    private const ulong CLONE_THREAD = 0x10000;
    private const ulong CLONE_SETTLS = 0x80000;
    private const ulong CLONE_PARENT_SETTID = 0x100000;
    private const ulong CLONE_CHILD_CLEARTID = 0x200000;
    private const ulong CLONE_DETACHED = 0x400000;
    private const ulong CLONE_CHILD_SETTID = 0x1000000;

    // The most processes (zombies included) a sandbox holds at once.
    private const int MaxProcesses = 4096;

    // What a new process may ask for here.
    private const ulong ProcessCloneFlags = CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID |
        CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID;

    public static SyscallReturn Fork(KernelTask t, in SyscallArguments a) => CloneProcess(t, (ulong)Signal.SIGCHLD, 0, Addr.Zero, Addr.Zero, 0);

    public static SyscallReturn Vfork(KernelTask t, in SyscallArguments a) =>
        CloneProcess(t, CLONE_VM | CLONE_VFORK | (ulong)Signal.SIGCHLD, 0, Addr.Zero, Addr.Zero, 0);

    public static SyscallReturn Clone(KernelTask t, in SyscallArguments a) =>
        CloneProcess(t, a.ULong(0), a.ULong(1), a.Pointer(2), a.Pointer(3), a.ULong(4));

    private static SyscallReturn CloneProcess(KernelTask t, ulong flags, ulong stack, Addr parentTid, Addr childTid, ulong tls)
    {
        // Linux's own consistency rules first, then what Warden does not do yet.
        if (((flags & CLONE_SIGHAND) != 0 && (flags & CLONE_VM) == 0) || ((flags & CLONE_THREAD) != 0 && (flags & CLONE_SIGHAND) == 0))
        {
            return Errno.EINVAL;
        }
        if ((flags & CSIGNAL) > Signal.Max)
        {
            return Errno.EINVAL;
        }
        if ((flags & ~ProcessCloneFlags) != 0 || ((flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) == 0))
        {
            return Errno.EINVAL;
        }
        Kernel kernel = t.Kernel;
        ThreadGroup parent = t.Group;
        if (kernel.Processes().Length >= MaxProcesses)
        {
            // Each process is a host stub process and thread: a fork bomb stops here, as at RLIMIT_NPROC.
            return Errno.EAGAIN;
        }
        if (t.PlatformContext.PullFPState(t.Arch) is not null)
        {
            return Errno.EAGAIN;
        }

        bool shareMemory = (flags & CLONE_VM) != 0;
        AddressSpaceRef memory;
        if (shareMemory)
        {
            memory = parent.AddressSpace.IncRef();
        }
        else
        {
            (MemoryManager? copy, Error? forkError) = t.MM.Fork(t);
            if (forkError is not null)
            {
                return SyscallReturn.Fail(SyscallReturn.ErrnoOf(forkError) == Errno.EINTR ? Errno.EINTR : Errno.ENOMEM);
            }
            memory = new AddressSpaceRef(copy!);
        }

        int pid = kernel.NextPid();
        var group = new ThreadGroup(kernel, pid, memory, parent.Handlers.Fork(), parent.Limits.Fork(), parent.Credentials)
        {
            Image = parent.Image,
            Name = parent.Name,
            ExitSignal = (int)(flags & CSIGNAL),
        };
        ArchContext arch = t.Arch.Clone();
        arch.Registers.Rax = 0;
        if (stack != 0)
        {
            arch.Registers.Rsp = stack;
        }
        if ((flags & CLONE_SETTLS) != 0)
        {
            arch.Registers.FsBase = tls;
        }
        var child = new KernelTask(kernel, group, pid, arch, t.Fds.Fork(), t.Fs.Fork())
        {
            Name = t.Name,
            Nice = t.Nice,
            IoPriority = t.IoPriority,
            SignalMask = t.SignalMask,
            AltStack = shareMemory && (flags & CLONE_VFORK) == 0 ? SignalStack.Disabled : t.AltStack,
            ClearChildTid = (flags & CLONE_CHILD_CLEARTID) != 0 ? childTid.Value : 0,
        };
        if ((flags & CLONE_PARENT_SETTID) != 0)
        {
            t.CopyObjectOut(parentTid, pid);
        }
        if ((flags & CLONE_CHILD_SETTID) != 0)
        {
            memory.MM.CopyObjectOut(t, childTid, pid, default);
        }
        group.AddTask(child);
        group.WatchCpuLimit();
        TaskCompletionSource? vforkDone = (flags & CLONE_VFORK) != 0 ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        group.VforkDone = vforkDone;
        kernel.AddProcess(group, parent);
        child.Start();

        if (vforkDone is not null)
        {
            // The parent waits (killably, not for signals) until the child execs or exits.
            long since = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                vforkDone.Task.Wait(t.CancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            t.AccountBlocked(since);
        }
        return SyscallReturn.Ok(pid);
    }
}
