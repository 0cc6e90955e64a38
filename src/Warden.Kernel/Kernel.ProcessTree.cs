using Warden.Kernel.Signals;
using SignalCodes = Warden.Kernel.Signals.SignalCodes;
using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel;

public sealed partial class Kernel
{
    /// <summary>
    /// Guards the process tree: every process's parent, children, process group, session, zombie
    /// and stop reports (Linux's tasklist_lock). Taken before any process's signal lock.
    /// </summary>
    internal Lock TreeLock { get; } = new();

    /// <summary>The sandbox's first process, once started.</summary>
    internal ThreadGroup? Init => Volatile.Read(ref _init);

    /// <summary>Enters a new process (a fork's child) in the table and under its parent.</summary>
    internal void AddProcess(ThreadGroup child, ThreadGroup parent)
    {
        lock (TreeLock)
        {
            child.Parent = parent;
            child.ProcessGroup = parent.ProcessGroup;
            child.Session = parent.Session;
            parent.Children.Add(child);
            _processes[child.Pid] = child;
        }
    }

    /// <summary>
    /// Called once a process has ended and released its address space: its children go to the
    /// sandbox's first process; it becomes a zombie for its parent to reap, which gets its exit
    /// signal, unless the parent ignores SIGCHLD (or set SA_NOCLDWAIT) and it is reaped at once;
    /// process groups its end orphans with a member stopped get SIGHUP and SIGCONT. The first
    /// process's end ends the sandbox (its parent is outside).
    /// </summary>
    internal void ProcessExited(ThreadGroup group, ExitStatus status)
    {
        ThreadGroup? parent;
        bool reapNow;
        List<int>? hangUp;
        lock (TreeLock)
        {
            ThreadGroup? init = Init;
            foreach (ThreadGroup orphan in group.Children)
            {
                if (init is not null && !ReferenceEquals(orphan, init) && !ReferenceEquals(group, init))
                {
                    orphan.Parent = init;
                    orphan.Adopted = true;
                    init.Children.Add(orphan);
                }
                else
                {
                    orphan.Parent = null;
                }
            }
            parent = group.Parent;
            // (The first process's end ends the sandbox.)
            hangUp = parent is null ? null : GroupsOrphanedByExitLocked(group, parent);
            bool orphanZombies = init is not null && group.Children.Exists(c => c.IsZombie);
            group.Children.Clear();
            if (parent is null)
            {
                _processes.TryRemove(group.Pid, out _);
                return;
            }
            SignalAction action = parent.Handlers.Get(Signals.Signal.SIGCHLD);
            reapNow = group.ExitSignal == Signals.Signal.SIGCHLD &&
                (action.Handler == SignalAction.Ignore || (action.Flags & SignalAction.SA_NOCLDWAIT) != 0);
            if (reapNow)
            {
                RemoveLocked(group);
            }
            else
            {
                group.IsZombie = true;
            }
            if (orphanZombies && init is not null)
            {
                init.ChildEvents.Notify(-1);
            }
        }
        // As Linux's exit_notify: the orphaned groups hear of it before the parent does.
        if (hangUp is not null)
        {
            HangUpAndContinue(hangUp);
        }
        if (group.ExitSignal != 0)
        {
            var info = new SignalInfo
            {
                Signo = group.ExitSignal,
                Code = !status.Signaled ? SignalCodes.CLD_EXITED : SignalCodes.CLD_KILLED,
                Pid = group.Pid,
                Uid = group.Credentials.Uid,
                Status = status.Signaled ? status.Signal : status.Code,
            };
            parent.Send(in info);
        }
        parent.ChildEvents.Notify(-1);
    }

    /// <summary>Tells the parent of <paramref name="group"/> that it stopped for <paramref name="signal"/>.</summary>
    internal void ChildStopped(ThreadGroup group, int signal)
    {
        ThreadGroup? parent;
        lock (TreeLock)
        {
            group.StopUnreported = true;
            group.ContinueUnreported = false;
            parent = group.Parent;
        }
        if (parent is null)
        {
            return;
        }
        if ((parent.Handlers.Get(Signals.Signal.SIGCHLD).Flags & SignalAction.SA_NOCLDSTOP) == 0)
        {
            var info = new SignalInfo { Signo = Signals.Signal.SIGCHLD, Code = SignalCodes.CLD_STOPPED, Pid = group.Pid, Uid = group.Credentials.Uid, Status = signal };
            parent.Send(in info);
        }
        parent.ChildEvents.Notify(-1);
    }

    /// <summary>Tells the parent of <paramref name="group"/> that it continued after a stop.</summary>
    internal void ChildContinued(ThreadGroup group)
    {
        ThreadGroup? parent;
        lock (TreeLock)
        {
            group.StopUnreported = false;
            group.ContinueUnreported = true;
            parent = group.Parent;
        }
        if (parent is null)
        {
            return;
        }
        if ((parent.Handlers.Get(Signals.Signal.SIGCHLD).Flags & SignalAction.SA_NOCLDSTOP) == 0)
        {
            var info = new SignalInfo { Signo = Signals.Signal.SIGCHLD, Code = SignalCodes.CLD_CONTINUED, Pid = group.Pid, Uid = group.Credentials.Uid, Status = Signals.Signal.SIGCONT };
            parent.Send(in info);
        }
        parent.ChildEvents.Notify(-1);
    }

    /// <summary>Removes a reaped zombie (or a process reaped at exit) from the tree and the table. Tree lock held.</summary>
    internal void RemoveLocked(ThreadGroup group)
    {
        group.Parent?.Children.Remove(group);
        group.Parent = null;
        group.IsZombie = false;
        _processes.TryRemove(group.Pid, out _);
    }

    /// <summary>The live and zombie processes.</summary>
    internal ThreadGroup[] Processes() => [.. _processes.Values];

    /// <summary>Kills every process and waits until each has ended (no task, no stub left).</summary>
    private void KillAll()
    {
        while (true)
        {
            ThreadGroup[] live = Array.FindAll(Processes(), g => !g.Exited.IsCompleted);
            if (live.Length == 0)
            {
                return;
            }
            foreach (ThreadGroup group in live)
            {
                group.BeginExit(ExitStatus.Killed(Signals.Signal.SIGKILL));
            }
            foreach (ThreadGroup group in live)
            {
                group.Exited.GetAwaiter().GetResult();
            }
        }
    }
}
