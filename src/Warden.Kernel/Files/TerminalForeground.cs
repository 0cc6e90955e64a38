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
/// <remarks>Thread-safe. No job-control stop (SIGTTOU, SIGTTIN) is raised for background groups that read or write the terminal.</remarks>
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
