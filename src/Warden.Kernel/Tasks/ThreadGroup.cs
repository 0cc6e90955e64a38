using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Loader;
using Warden.Kernel.Signals;
using Warden.Mm;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A process: the tasks (threads) that share one address space, one set of signal actions, one
/// pid and one exit status.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class ThreadGroup
{
    private readonly Lock _lock = new();
    private readonly List<KernelTask> _tasks = [];
    private readonly TaskCompletionSource<ExitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _killed = new();
    private ExitStatus? _exitStatus;
    private readonly SafeFileHandle _wake;

    public ThreadGroup(Kernel kernel, int pid, MemoryManager mm, SignalHandlers handlers, ResourceLimitSet limits, Credentials credentials)
    {
        Kernel = kernel;
        Pid = pid;
        MM = mm;
        Handlers = handlers;
        Limits = limits;
        Credentials = credentials;
        ProcessGroup = pid;
        Session = pid;
        (SafeFileHandle? wake, Errno? error) = Libc.Eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake is null)
        {
            ThrowHelper.ThrowInvalidOperation("eventfd failed: {0}", error);
        }
        _wake = wake;
    }

    /// <summary>
    /// A host descriptor that becomes readable when the process begins to exit: blocking host waits
    /// (a read of a terminal or pipe) poll it beside their own descriptor, so a kill never waits for input.
    /// </summary>
    public SafeFileHandle WakeHandle => _wake;

    public Kernel Kernel { get; }

    /// <summary>The process ID (the kernel's own numbering).</summary>
    public int Pid { get; }

    /// <summary>The parent's pid (0 for the sandbox's first process: its parent is outside).</summary>
    public int ParentPid { get; init; }

    public int ProcessGroup { get; set; }

    public int Session { get; set; }

    public MemoryManager MM { get; private set; }

    public SignalHandlers Handlers { get; }

    public ResourceLimitSet Limits { get; }

    public Credentials Credentials { get; }

    /// <summary>The program image: what /proc/[pid]/exe, auxv and cmdline show.</summary>
    public LoadedImage? Image { get; set; }

    /// <summary>The name /proc/[pid]/comm and PR_GET_NAME give (the main thread's).</summary>
    public string Name { get; set; } = "";

    /// <summary>Cancelled when the process is being killed: blocking waits end early.</summary>
    public CancellationToken Killed => _killed.Token;

    /// <summary>Completes with the exit status once every task has ended.</summary>
    public Task<ExitStatus> Exited => _exited.Task;

    /// <summary>The exit status once the process has begun to exit.</summary>
    public ExitStatus? ExitStatus
    {
        get { lock (_lock) { return _exitStatus; } }
    }

    public void AddTask(KernelTask task)
    {
        lock (_lock)
        {
            _tasks.Add(task);
        }
    }

    public KernelTask[] Tasks()
    {
        lock (_lock)
        {
            return [.. _tasks];
        }
    }

    /// <summary>
    /// Begins the exit of the whole process with <paramref name="status"/> (the first status wins):
    /// every task stops at its next chance.
    /// </summary>
    public void BeginExit(ExitStatus status)
    {
        KernelTask[] tasks;
        lock (_lock)
        {
            _exitStatus ??= status;
            tasks = [.. _tasks];
        }
        _killed.Cancel();
        lock (_lock)
        {
            if (!_wake.IsClosed)
            {
                Span<byte> one = [1, 0, 0, 0, 0, 0, 0, 0];
                Libc.Write(_wake, one);
            }
        }
        foreach (KernelTask task in tasks)
        {
            task.Interrupt();
        }
    }

    /// <summary>Called by a task as its thread ends; the last one completes <see cref="Exited"/>.</summary>
    public void TaskEnded(KernelTask task)
    {
        bool last;
        ExitStatus status;
        lock (_lock)
        {
            _tasks.Remove(task);
            last = _tasks.Count == 0;
            _exitStatus ??= Warden.Kernel.Tasks.ExitStatus.Exited(0);
            status = _exitStatus.Value;
        }
        if (last)
        {
            Kernel.Strace?.PrintExit(task, status);
            Kernel.ProcessExiting(this, task);
            MM.Dispose();
            lock (_lock)
            {
                _wake.Dispose();
            }
            _exited.TrySetResult(status);
        }
    }
}
