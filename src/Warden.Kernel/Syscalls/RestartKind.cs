namespace Warden.Kernel.Syscalls;

/// <summary>
/// How a system call a signal interrupted is finished (Linux's internal ERESTART* errnos): by the
/// signal's delivery, which either returns EINTR to the program or makes it issue the call again.
/// </summary>
internal enum RestartKind
{
    /// <summary>Not interrupted.</summary>
    None = 0,

    /// <summary>ERESTARTSYS: restarted unless a handler without SA_RESTART runs (then EINTR).</summary>
    RestartSys = 512,

    /// <summary>ERESTARTNOINTR: always restarted.</summary>
    RestartNoIntr = 513,

    /// <summary>ERESTARTNOHAND: EINTR if a handler runs, restarted otherwise (pause, sigsuspend, poll).</summary>
    RestartNoHand = 514,

    /// <summary>ERESTART_RESTARTBLOCK: as <see cref="RestartNoHand"/>; the restart goes on with what was left (nanosleep).</summary>
    RestartBlock = 516,
}
