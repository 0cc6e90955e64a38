using System.Diagnostics;

namespace Warden.Platforms.Ptrace;

// Watching the operations thread's waits for the syscall thread.
//
// Linux reports the end of a process's first thread only once all its other threads have been
// collected, and a stub thread's end is collected only by a wait for it. If the stub is killed
// (from outside, say) while the operations thread sits in a blocking wait for a stop of the syscall
// thread, and some stub thread's tracer is not waiting (it is between switches), nothing collects
// that stub thread, and the operations thread waits for ever. A timer looks, a few times a second,
// for an operations thread that has been waiting a while for a syscall thread that has become a
// zombie; it then collects the other threads (WNOHANG, as KillAndReap does), which lets Linux
// report the syscall thread and the wait return. Waits that end normally cost two volatile writes.
internal sealed partial class StubProcess
{
    private static readonly TimeSpan s_watchPeriod = TimeSpan.FromMilliseconds(100);

    // The operations thread's; disposed (its callbacks waited for) before the process is reaped.
    private Timer? _watch;

    // Stopwatch timestamp at which the operations thread began waiting for the syscall thread (0: not waiting).
    private long _syscallWaitSince;

    /// <summary>Marks the start of a blocking wait of the operations thread for the syscall thread.</summary>
    public void BeginSyscallThreadWait() => Volatile.Write(ref _syscallWaitSince, Stopwatch.GetTimestamp());

    /// <summary>Marks the end of that wait.</summary>
    public void EndSyscallThreadWait() => Volatile.Write(ref _syscallWaitSince, 0);

    private void StartWatch() =>
        _watch = new Timer(static state => ((StubProcess)state!).CheckSyscallThreadWait(), this, s_watchPeriod, s_watchPeriod);

    // After this no callback runs: the pid, about to be reaped, is not looked at any more.
    private void StopWatch()
    {
        Timer? watch = _watch;
        if (watch is null)
        {
            return;
        }
        _watch = null;
        using var done = new ManualResetEvent(false);
        if (watch.Dispose(done))
        {
            done.WaitOne();
        }
    }

    // Timer callback. The syscall thread is not reaped while the operations thread waits for it,
    // so its pid and /proc directory still belong to the process.
    private void CheckSyscallThreadWait()
    {
        long since = Volatile.Read(ref _syscallWaitSince);
        if (since == 0 || Stopwatch.GetElapsedTime(since) < s_watchPeriod || !SyscallThreadIsZombie())
        {
            return;
        }
        Kill();
        var tids = new List<int>();
        ListThreads(tids);
        foreach (int tid in tids)
        {
            if (tid != _pid)
            {
                _ = TryReap(tid);
            }
        }
    }

    private bool SyscallThreadIsZombie()
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{_pid}/stat");
            int end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
