namespace Warden.Kernel.Signals;

/// <summary>Linux's <c>si_code</c> values: who sent a signal, or what a SIGCHLD reports.</summary>
internal static class SignalCodes
{
    /// <summary>Sent by kill(2).</summary>
    public const int SI_USER = 0;

    /// <summary>Sent by the kernel.</summary>
    public const int SI_KERNEL = 0x80;

    /// <summary>Sent by sigqueue(3) (rt_sigqueueinfo).</summary>
    public const int SI_QUEUE = -1;

    /// <summary>Sent by tkill(2) or tgkill(2).</summary>
    public const int SI_TKILL = -6;

    /// <summary>SIGCHLD: the child exited.</summary>
    public const int CLD_EXITED = 1;

    /// <summary>SIGCHLD: the child was killed.</summary>
    public const int CLD_KILLED = 2;

    /// <summary>SIGCHLD: the child was killed and dumped core.</summary>
    public const int CLD_DUMPED = 3;

    /// <summary>SIGCHLD: the child stopped.</summary>
    public const int CLD_STOPPED = 5;

    /// <summary>SIGCHLD: the stopped child continued.</summary>
    public const int CLD_CONTINUED = 6;

    /// <summary>SIGBUS: the address is mapped but has nothing behind it.</summary>
    public const int BUS_ADRERR = 2;
}
