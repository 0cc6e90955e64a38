using Warden.Errors;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Files;

/// <summary>
/// The sandbox's view of its controlling terminal's foreground process group. The terminal itself
/// stays the host's (its settings and size pass through), but the process groups are the
/// sandbox's: the host's group ids mean nothing to the program. The controlling terminal belongs
/// to the first process's session, and its foreground group starts as that process's group (what
/// the same program run from a shell would see); <c>TIOCSPGRP</c> moves it, as Linux's
/// <c>tiocspgrp</c> checks.
/// </summary>
/// <remarks>Thread-safe. A background group that reads the terminal, writes it with TOSTOP set, or
/// changes its settings gets SIGTTIN or SIGTTOU (<see cref="CheckAccess"/>), as Linux's job control.</remarks>
internal sealed class TerminalForeground
{
    private int _session;
    private int _group;

    /// <summary>Gives the terminal to the session of the first process <paramref name="init"/>, its group in the foreground.</summary>
    public void Attach(ThreadGroup init)
    {
        ArgumentNullException.ThrowIfNull(init);
        Volatile.Write(ref _group, init.ProcessGroup);
        Volatile.Write(ref _session, init.Session);
    }

    /// <summary>
    /// Linux's job-control check (<c>tty_check_change</c>) before <paramref name="task"/> reads the
    /// terminal (<paramref name="signal"/> SIGTTIN) or writes it or changes its settings (SIGTTOU):
    /// nothing for the foreground group, or a task of another session. A background group gets the
    /// signal (the call is then restarted once it is continued: ERESTARTSYS), unless the task
    /// ignores or blocks it (a read then fails with EIO, a write or change goes ahead) or the group
    /// is orphaned (EIO).
    /// </summary>
    /// <returns><c>null</c> to go ahead; EIO; or <see cref="Syscalls.RestartError.Sys"/>.</returns>
    public Error? CheckAccess(KernelTask task, int signal)
    {
        ArgumentNullException.ThrowIfNull(task);
        ThreadGroup group = task.Group;
        if (!IsBackground(group))
        {
            return null;
        }
        bool ignored = group.Handlers.Get(signal).Handler == Signals.SignalAction.Ignore || (task.SignalMask & Signals.Signal.Bit(signal)) != 0;
        if (ignored)
        {
            return signal == Signals.Signal.SIGTTIN ? Errno.EIO : null;
        }
        if (task.Kernel.IsOrphanedGroup(group))
        {
            return Errno.EIO;
        }
        var info = new Warden.Platform.SignalInfo { Signo = signal, Code = Signals.SignalCodes.SI_KERNEL };
        ThreadGroup[] members;
        lock (task.Kernel.TreeLock)
        {
            members = Array.FindAll(task.Kernel.Processes(), p => p.ProcessGroup == group.ProcessGroup && !p.IsZombie);
        }
        foreach (ThreadGroup member in members)
        {
            member.Send(in info);
        }
        return Syscalls.RestartError.Sys;
    }

    /// <summary>Whether <paramref name="group"/> is of the terminal's session but not in its foreground.</summary>
    public bool IsBackground(ThreadGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        int foreground = Volatile.Read(ref _group);
        return group.Session == Volatile.Read(ref _session) && foreground != 0 && group.ProcessGroup != foreground;
    }

    /// <summary>TIOCGPGRP: the foreground group, or ENOTTY when the terminal is not the caller's controlling terminal.</summary>
    public (int Group, Errno? Error) Get(ThreadGroup caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Session == Volatile.Read(ref _session) ? (Volatile.Read(ref _group), null) : (0, Errno.ENOTTY);
    }

    /// <summary>
    /// TIOCSPGRP: puts group <paramref name="group"/> in the foreground. ENOTTY when the terminal
    /// is not the caller's controlling terminal, EINVAL for a negative id, ESRCH when no process
    /// has that group, EPERM when the group is of another session.
    /// </summary>
    public Errno? Set(Kernel kernel, ThreadGroup caller, int group)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(caller);
        int session = Volatile.Read(ref _session);
        if (caller.Session != session)
        {
            return Errno.ENOTTY;
        }
        if (group < 0)
        {
            return Errno.EINVAL;
        }
        ThreadGroup? member = Array.Find(kernel.Processes(), p => p.ProcessGroup == group);
        if (member is null)
        {
            return Errno.ESRCH;
        }
        if (member.Session != session)
        {
            return Errno.EPERM;
        }
        Volatile.Write(ref _group, group);
        return null;
    }
}
