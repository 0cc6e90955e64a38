namespace Warden.Platforms.Ptrace;

/// <summary>
/// The exit status a stub process ends with when a step of its start-up fails; each step that can
/// fail has its own, so that the error says which.
/// </summary>
internal enum StubExitCode
{
    /// <summary><c>rt_sigprocmask</c> (unblocking every signal) failed.</summary>
    UnblockSignals = 101,

    /// <summary><c>prctl(PR_SET_PDEATHSIG)</c> failed.</summary>
    ParentDeathSignal = 102,

    /// <summary><c>mmap</c> of the stub page failed.</summary>
    MapStub = 103,

    /// <summary><c>mprotect</c> of the stub page failed.</summary>
    ProtectStub = 104,

    /// <summary><c>munmap</c> of everything below the stub failed.</summary>
    ClearAddressSpace = 105,

    /// <summary><c>ptrace(PTRACE_TRACEME)</c> failed (ptrace is not permitted).</summary>
    TraceMe = 106,

    /// <summary><c>kill(getpid(), SIGSTOP)</c> failed.</summary>
    StopSelf = 107,

    /// <summary><c>prctl(PR_SET_NO_NEW_PRIVS)</c> failed.</summary>
    NoNewPrivs = 108,

    /// <summary><c>seccomp(SECCOMP_SET_MODE_FILTER)</c> failed (no seccomp filters on this kernel, or not permitted).</summary>
    Seccomp = 109,
}
