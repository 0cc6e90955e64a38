using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel;

// Orphaned process groups (POSIX job control, as Linux's will_become_orphaned_pgrp and
// kill_orphaned_pgrp): a group none of whose members has a parent in another group of the same
// session has no shell left to continue it. Job-control stops (SIGTSTP, SIGTTIN, SIGTTOU at their
// default action) are discarded in such a group, and a group that becomes orphaned while a member is
// stopped gets SIGHUP and then SIGCONT.
//
// The sandbox's first process counts as having such a parent (its parent is outside: a program run
// natively from a shell has the shell there). A process adopted by the first process when its own
// parent ended counts as a child of init, as it would natively, which links no group.
public sealed partial class Kernel
{
    /// <summary>
    /// Whether process group <paramref name="group"/> is orphaned, <paramref name="leaving"/> (a
    /// process that is exiting) left out. Tree lock held.
    /// </summary>
    internal bool IsOrphanedGroupLocked(int group, ThreadGroup? leaving)
    {
        foreach (ThreadGroup member in _processes.Values)
        {
            if (member.ProcessGroup != group || ReferenceEquals(member, leaving) || member.IsZombie || member.Adopted)
            {
                continue;
            }
            ThreadGroup? parent = member.Parent;
            if (parent is null ? ReferenceEquals(member, Init) : parent.ProcessGroup != group && parent.Session == member.Session)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether the calling task's process group is orphaned (a job-control stop is then discarded).</summary>
    internal bool IsOrphanedGroup(ThreadGroup self)
    {
        lock (TreeLock)
        {
            return IsOrphanedGroupLocked(self.ProcessGroup, null);
        }
    }

    // The groups that `exiting`'s end orphans while one of their members is stopped: its own, if it
    // was the group's link to another group of its session, and each of its children's (already
    // given to their new parent) that it linked. Tree lock held.
    private List<int>? GroupsOrphanedByExitLocked(ThreadGroup exiting, ThreadGroup? parent)
    {
        List<int>? groups = null;
        void Check(int group, ThreadGroup? link, ThreadGroup member, ThreadGroup? leaving)
        {
            if (link is not null && link.ProcessGroup != group && link.Session == member.Session &&
                groups?.Contains(group) != true && IsOrphanedGroupLocked(group, leaving) && HasStoppedMemberLocked(group))
            {
                (groups ??= []).Add(group);
            }
        }
        Check(exiting.ProcessGroup, parent, exiting, exiting);
        foreach (ThreadGroup child in exiting.Children)
        {
            Check(child.ProcessGroup, exiting, child, exiting);
        }
        return groups;
    }

    private bool HasStoppedMemberLocked(int group)
    {
        foreach (ThreadGroup member in _processes.Values)
        {
            if (member.ProcessGroup == group && !member.IsZombie && member.StopSignal != 0)
            {
                return true;
            }
        }
        return false;
    }

    // SIGHUP, then SIGCONT, from the kernel to every live member of each group.
    private void HangUpAndContinue(List<int> groups)
    {
        ThreadGroup[] members;
        lock (TreeLock)
        {
            members = Array.FindAll(Processes(), p => groups.Contains(p.ProcessGroup) && !p.IsZombie);
        }
        foreach (int signal in (ReadOnlySpan<int>)[Signals.Signal.SIGHUP, Signals.Signal.SIGCONT])
        {
            var info = new SignalInfo { Signo = signal, Code = Signals.SignalCodes.SI_KERNEL };
            foreach (ThreadGroup member in members)
            {
                member.Send(in info);
            }
        }
    }
}
