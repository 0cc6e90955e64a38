using Warden.Kernel.Loader;
using Warden.Kernel.Signals;
using Warden.Mm;
using Warden.Platform;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A process: the tasks (threads) that share one address space, one set of signal actions, one
/// pid and one exit status; its place in the process tree (parent, children, process group,
/// session); its signals pending for any of its threads, and its job-control stop.
/// </summary>
/// <remarks>
/// Thread-safe. Lock order: <see cref="Kernel.TreeLock"/>, then <see cref="SignalLock"/>, then the
/// task list's own lock. The tree fields (<see cref="Parent"/>, <see cref="Children"/>,
/// <see cref="ProcessGroup"/>, <see cref="Session"/>, the zombie and stop reports) are guarded by
/// the tree lock.
/// </remarks>
internal sealed class ThreadGroup
{
    private readonly Lock _lock = new();
    private readonly List<KernelTask> _tasks = [];
    private readonly TaskCompletionSource<ExitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _killed = new();
    private ExitStatus? _exitStatus;
    private AddressSpaceRef _mm;

    public ThreadGroup(Kernel kernel, int pid, AddressSpaceRef mm, SignalHandlers handlers, ResourceLimitSet limits, Credentials credentials)
    {
        Kernel = kernel;
        Pid = pid;
        _mm = mm;
        Handlers = handlers;
        Limits = limits;
        Credentials = credentials;
        ProcessGroup = pid;
        Session = pid;
    }

    public Kernel Kernel { get; }

    /// <summary>The process ID (the kernel's own numbering).</summary>
    public int Pid { get; }

    /// <summary>The parent, or <c>null</c> for the sandbox's first process (its parent is outside). Tree lock.</summary>
    public ThreadGroup? Parent { get; set; }

    /// <summary>The parent's pid (0 for the sandbox's first process).</summary>
    public int ParentPid
    {
        get
        {
            lock (Kernel.TreeLock)
            {
                return Parent?.Pid ?? 0;
            }
        }
    }

    /// <summary>The children, live and zombie, in the order they were made. Tree lock.</summary>
    public List<ThreadGroup> Children { get; } = [];

    /// <summary>The signal the parent gets when this process ends (SIGCHLD for fork; 0 for none).</summary>
    public int ExitSignal { get; init; } = Signal.SIGCHLD;

    /// <summary>Whether the process was given to the sandbox's first process when its parent ended. Tree lock.</summary>
    public bool Adopted { get; set; }

    /// <summary>Tree lock.</summary>
    public int ProcessGroup { get; set; }

    /// <summary>Tree lock.</summary>
    public int Session { get; set; }

    /// <summary>Whether the process has called execve since fork (setpgid of a child then fails with EACCES).</summary>
    public bool HasExeced { get; set; }

    /// <summary>The address space (replaced by execve).</summary>
    public MemoryManager MM => Volatile.Read(ref _mm).MM;

    /// <summary>The counted reference to the address space.</summary>
    public AddressSpaceRef AddressSpace => Volatile.Read(ref _mm);

    /// <summary>The signal actions (copied by fork; caught ones reset by execve).</summary>
    public SignalHandlers Handlers { get; }

    public ResourceLimitSet Limits { get; }

    public Credentials Credentials { get; }

    /// <summary>The program image: what /proc/[pid]/exe, auxv and cmdline show.</summary>
    public LoadedImage? Image { get; set; }

    /// <summary>The name /proc/[pid]/comm and PR_GET_NAME give (the main thread's).</summary>
    public string Name { get; set; } = "";

    /// <summary>Guards the pending signals (this process's and its tasks') and the stop state.</summary>
    public Lock SignalLock { get; } = new();

    /// <summary>Signals sent to the process as a whole (any thread not blocking one may take it). Signal lock.</summary>
    public PendingSignals SharedPending { get; } = new();

    /// <summary>The children's exits, stops and continues: wait4 and waitid of this process wait here.</summary>
    public WaitQueue ChildEvents { get; } = new();

    /// <summary>The signal that stopped the process (job control), or 0 while it runs. Signal lock.</summary>
    public int StopSignal { get; private set; }

    /// <summary>Whether the parent has yet to be told (by wait with WUNTRACED) of the current stop. Tree lock.</summary>
    public bool StopUnreported { get; set; }

    /// <summary>Whether the parent has yet to be told (by wait with WCONTINUED) of a continue. Tree lock.</summary>
    public bool ContinueUnreported { get; set; }

    /// <summary>Whether the process has ended and waits to be reaped by its parent. Tree lock.</summary>
    public bool IsZombie { get; set; }

    /// <summary>ITIMER_REAL (alarm, setitimer): made on first use. Not kept across fork, kept across execve.</summary>
    public RealTimer RealTimer => LazyInitializer.EnsureInitialized(ref _realTimer, () => new RealTimer(this));

    private RealTimer? _realTimer;

    /// <summary>ITIMER_VIRTUAL and ITIMER_PROF (setitimer): made on first use. Not kept across fork, kept across execve.</summary>
    public CpuTimers CpuTimers => LazyInitializer.EnsureInitialized(ref _cpuTimers, () => new CpuTimers(this));

    private CpuTimers? _cpuTimers;

    /// <summary>Has <see cref="CpuTimers"/> enforce RLIMIT_CPU if it is finite: after the limit changes, and once a new process has its task.</summary>
    public void WatchCpuLimit()
    {
        if (Limits.Get(ResourceLimitSet.RLIMIT_CPU).Current != ResourceLimitSet.Infinity)
        {
            CpuTimers.WatchLimit();
        }
    }

    // The CPU time (ns) of the process's tasks that have ended. Guarded by _lock.
    private long _endedUserNs;
    private long _endedSystemNs;

    // The largest peak resident set of the address spaces execve and the end have retired. Guarded by _lock.
    private ulong _retiredMaxRss;

    // The usage of the children a wait has reaped, theirs included. Tree lock.
    private ProcessUsage _childrenUsage;

    /// <summary>getrusage(RUSAGE_SELF): the CPU time so far and the largest resident set.</summary>
    public ProcessUsage Usage()
    {
        (long user, long system) = CpuTime();
        ulong maxRss;
        lock (_lock)
        {
            maxRss = _retiredMaxRss;
        }
        // (A released memory manager still answers: its peak stays.)
        maxRss = Math.Max(maxRss, Volatile.Read(ref _mm).MM.MaxResidentSetSize);
        return new ProcessUsage(user, system, maxRss);
    }

    /// <summary>getrusage(RUSAGE_CHILDREN): the children's a wait reaped (and their children's).</summary>
    public ProcessUsage ChildrenUsage()
    {
        lock (Kernel.TreeLock)
        {
            return _childrenUsage;
        }
    }

    /// <summary>Counts the usage of <paramref name="child"/>, which a wait is reaping. Tree lock held.</summary>
    public void AddReapedChildLocked(ThreadGroup child) => _childrenUsage = _childrenUsage.Plus(child.Usage()).Plus(child._childrenUsage);

    /// <summary>What a wait reports of <paramref name="child"/>: its usage and its reaped children's. Tree lock held.</summary>
    public static ProcessUsage WaitUsageLocked(ThreadGroup child) => child.Usage().Plus(child._childrenUsage);

    // Keeps the peak resident set of an address space about to be released.
    private void RetireAddressSpace(AddressSpaceRef mm)
    {
        ulong peak = mm.MM.MaxResidentSetSize;
        lock (_lock)
        {
            _retiredMaxRss = Math.Max(_retiredMaxRss, peak);
        }
    }

    /// <summary>The process's user and system CPU time so far (its tasks', ended ones included), in nanoseconds.</summary>
    public (long UserNs, long SystemNs) CpuTime()
    {
        lock (_lock)
        {
            long user = _endedUserNs, system = _endedSystemNs;
            foreach (KernelTask task in _tasks)
            {
                (long u, long s) = task.CpuTime();
                user += u;
                system += s;
            }
            return (user, system);
        }
    }

    /// <summary>Set while a vfork child runs: the parent's wait ends when the child execs or exits.</summary>
    public TaskCompletionSource? VforkDone { get; set; }

    /// <summary>Cancelled when the process is being killed: blocking waits end early.</summary>
    public CancellationToken Killed => _killed.Token;

    /// <summary>Completes with the exit status once every task has ended and the address space is released.</summary>
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

    /// <summary>Replaces the address space (execve); returns the old reference, which the caller releases.</summary>
    public AddressSpaceRef ReplaceAddressSpace(AddressSpaceRef mm)
    {
        AddressSpaceRef old = Interlocked.Exchange(ref _mm, mm);
        RetireAddressSpace(old);
        return old;
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
        foreach (KernelTask task in tasks)
        {
            task.Interrupt();
        }
    }

    /// <summary>
    /// Sends <paramref name="info"/> to the process (<paramref name="target"/> null: any of its
    /// threads may take it) or to one of its tasks, as Linux's send_signal: SIGKILL ends the process
    /// at once; SIGCONT continues a stopped one (and drops pending stops), a stop drops a pending
    /// SIGCONT; an ignored signal that is not blocked is dropped; a fatal one whose action is the
    /// default ends the process at once unless it is blocked; otherwise it is queued and a task that
    /// does not block it is woken to take it.
    /// </summary>
    /// <returns>False when the signal was dropped or merged into a pending one.</returns>
    public bool Send(in SignalInfo info, KernelTask? target = null)
    {
        int signal = info.Signo;
        if (signal == Signal.SIGKILL)
        {
            BeginExit(Warden.Kernel.Tasks.ExitStatus.Killed(Signal.SIGKILL));
            return true;
        }
        bool continued = false;
        KernelTask? wake = null;
        lock (SignalLock)
        {
            if (signal == Signal.SIGCONT)
            {
                DropPendingLocked(Signal.StopSet);
                continued = StopSignal != 0;
                StopSignal = 0;
            }
            else if (Signal.DefaultStops(signal))
            {
                DropPendingLocked(Signal.Bit(Signal.SIGCONT));
            }
            KernelTask[] tasks = Tasks();
            bool blocked = target is not null ? (target.SignalMask & Signal.Bit(signal)) != 0 : Array.TrueForAll(tasks, t => (t.SignalMask & Signal.Bit(signal)) != 0);
            SignalAction action = Handlers.Get(signal);
            if (!blocked && (action.Handler == SignalAction.Ignore || (action.Handler == SignalAction.Default && Signal.DefaultIgnores(signal))))
            {
                if (continued)
                {
                    WakeAllLocked(tasks);
                }
                goto done;
            }
            if (!blocked && action.Handler == SignalAction.Default && Signal.DefaultKills(signal))
            {
                BeginExit(Warden.Kernel.Tasks.ExitStatus.Killed(signal));
                return true;
            }
            bool queued = target is not null ? target.Pending.Enqueue(in info) : SharedPending.Enqueue(in info);
            if (!queued && !continued)
            {
                return false;
            }
            wake = target ?? Array.Find(tasks, t => (t.SignalMask & Signal.Bit(signal)) == 0) ?? (tasks.Length > 0 ? tasks[0] : null);
            if (continued)
            {
                WakeAllLocked(tasks);
            }
        }
    done:
        wake?.Interrupt();
        if (continued)
        {
            Kernel.ChildContinued(this);
        }
        return true;
    }

    /// <summary>Stops the process for <paramref name="signal"/> (job control) unless it is ending; the caller tells the parent.</summary>
    public bool EnterStop(int signal)
    {
        lock (SignalLock)
        {
            if (Killed.IsCancellationRequested || StopSignal != 0)
            {
                return false;
            }
            StopSignal = signal;
            return true;
        }
    }

    // Drops the signals of `set` pending for the process and for each of its tasks. Signal lock held.
    private void DropPendingLocked(ulong set)
    {
        SharedPending.Remove(set);
        foreach (KernelTask task in Tasks())
        {
            task.Pending.Remove(set);
        }
    }

    private static void WakeAllLocked(KernelTask[] tasks)
    {
        foreach (KernelTask task in tasks)
        {
            task.Waker.Wake();
        }
    }

    /// <summary>Called by a task as its thread ends; the last one releases the process's resources and tells the kernel.</summary>
    public void TaskEnded(KernelTask task)
    {
        bool last;
        ExitStatus status;
        lock (_lock)
        {
            _tasks.Remove(task);
            (long user, long system) = task.CpuTime();
            _endedUserNs += user;
            _endedSystemNs += system;
            last = _tasks.Count == 0;
            _exitStatus ??= Warden.Kernel.Tasks.ExitStatus.Exited(0);
            status = _exitStatus.Value;
        }
        task.Waker.Dispose();
        if (last)
        {
            try
            {
                Kernel.Strace?.PrintExit(task, status);
                _realTimer?.Dispose();
                _cpuTimers?.Dispose();
                Kernel.ProcessExiting(this, task);
                VforkDone?.TrySetResult();
                RetireAddressSpace(AddressSpace);
                AddressSpace.DecRef();
            }
            finally
            {
                // Whatever failed above, the parent and the kernel learn of the end, so no one waits for ever.
                Kernel.ProcessExited(this, status);
                _exited.TrySetResult(status);
            }
        }
    }
}
