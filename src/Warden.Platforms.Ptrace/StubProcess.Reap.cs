using System.Diagnostics;
using System.Globalization;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Platforms.Ptrace;

// The end of the process: killing it and collecting every thread of it, in bounded time.
//
// Why no blocking wait: a blocking waitpid on one thread id sleeps until Linux reports a change of
// that thread to Warden. An application thread can stop being Warden's to wait for without any
// such report: when its tracer thread exits, Linux detaches it (or, if it is already a zombie,
// frees it), and a detached thread that dies is freed at once, silently. A waitpid already asleep
// on it then never wakes, and since the syscall thread is not reported before all the others are
// gone, nothing else does either: the process stays a zombie and the operations thread hangs. So
// every thread is polled with WNOHANG, and a thread that is not Warden's to wait for (ECHILD) has
// either been collected already or will be freed by Linux itself.
internal sealed partial class StubProcess
{
    // After this long the kill is sent again, to the process and to each thread still there.
    private static readonly TimeSpan s_reapResendAfter = TimeSpan.FromSeconds(2);

    // After this long the process is given up on (see KillAndReap).
    private static readonly TimeSpan s_reapDeadline = TimeSpan.FromSeconds(30);

    // Polls of a round before the operations thread starts sleeping between them.
    private const int ReapYieldRounds = 16;

    // Kills the process and reaps every thread of it, so that no zombie remains. Operations thread only.
    //
    // Every state a thread can be in ends here: running or stopped (SIGKILL ends both; a stop
    // reported before the kill landed is passed over), a zombie traced by any thread of Warden (any
    // thread of a thread group may collect a tracee of another), already collected by its tracer or
    // never traced (ECHILD), made by a clone but not yet in _threads (found in /proc), and a
    // process that never started (no pid). Should something keep the syscall thread from being
    // reported for s_reapDeadline (a thread stuck in the kernel, say), the process is given up on
    // rather than waited for for ever; it then stays a zombie until Warden exits.
    private void KillAndReap()
    {
        StopWatch();
        Kill();
        bool reaped;
        lock (_kickLock)
        {
            reaped = _reaped;
        }
        if (reaped || _pid == 0)
        {
            MarkReaped();
            return;
        }
        var tids = new List<int>();
        long start = Stopwatch.GetTimestamp();
        bool resent = false;
        for (int round = 0; !ReapRound(tids); round++)
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            if (elapsed >= s_reapDeadline)
            {
                break;
            }
            if (!resent && elapsed >= s_reapResendAfter)
            {
                KillAgain(tids);
                resent = true;
            }
            if (round < ReapYieldRounds)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }
        MarkReaped();
    }

    // Polls every thread once, the syscall thread last; true once it (and so the whole
    // process, since Linux reports it only after all the others are gone) has been collected.
    private bool ReapRound(List<int> tids)
    {
        ListThreads(tids);
        foreach (int tid in tids)
        {
            if (tid != _pid)
            {
                _ = TryReap(tid);
            }
        }
        return TryReap(_pid);
    }

    // The ids of the process's threads: those Warden knows of and those /proc lists (a thread just
    // cloned, not yet known). The syscall thread is not reaped before this is read, so its pid, and
    // with it the /proc directory, still belongs to the process.
    private void ListThreads(List<int> tids)
    {
        tids.Clear();
        lock (_threadsLock)
        {
            foreach (StubThread thread in _threads.Values)
            {
                tids.Add(thread.Tid);
            }
        }
        try
        {
            foreach (string task in Directory.EnumerateDirectories($"/proc/{_pid}/task"))
            {
                if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid) && !tids.Contains(tid))
                {
                    tids.Add(tid);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (or the process is already gone from it): the known threads will do.
        }
    }

    // Whether thread tid is no longer Warden's to wait for: collected now, or not a child or
    // tracee of Warden (ECHILD: collected already, or freed by Linux when it dies).
    private static bool TryReap(int tid)
    {
        (int pid, int status, Errno? error) = Libc.Waitpid(tid, Libc.__WALL | Libc.WNOHANG);
        return error is not null || (pid == tid && !Libc.WIFSTOPPED(status));
    }

    // The kill once more, to the process and to each thread still listed.
    private void KillAgain(List<int> tids)
    {
        lock (_kickLock)
        {
            if (_reaped)
            {
                return;
            }
            if (_pidfd is not null)
            {
                _ = Libc.PidfdSendSignal(_pidfd, Libc.SIGKILL);
            }
            else
            {
                _ = Libc.Kill(_pid, Libc.SIGKILL);
            }
            foreach (int tid in tids)
            {
                _ = Libc.Tgkill(_pid, tid, Libc.SIGKILL);
            }
        }
    }
}
