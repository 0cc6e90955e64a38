namespace Warden.Kernel.Files;

/// <summary>
/// Linux's poll bits (<c>&lt;poll.h&gt;</c>, the low bits of <c>&lt;sys/epoll.h&gt;</c>'s EPOLL*):
/// what <see cref="FileDescription.Readiness"/> reports and what a <see cref="Tasks.WaitQueue"/> is notified with.
/// </summary>
internal static class PollEvents
{
    public const int POLLIN = 0x1;
    public const int POLLPRI = 0x2;
    public const int POLLOUT = 0x4;
    public const int POLLERR = 0x8;
    public const int POLLHUP = 0x10;
    public const int POLLNVAL = 0x20;
    public const int POLLRDNORM = 0x40;
    public const int POLLRDBAND = 0x80;
    public const int POLLWRNORM = 0x100;
    public const int POLLWRBAND = 0x200;
    public const int POLLMSG = 0x400;
    public const int POLLRDHUP = 0x2000;

    /// <summary>What a file without a poll method of its own always is (Linux's DEFAULT_POLLMASK): readable and writable.</summary>
    public const int DefaultMask = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

    /// <summary>The bits that are reported whether asked for or not.</summary>
    public const int AlwaysReported = POLLERR | POLLHUP;

    /// <summary>Every bit that a change of state may be notified with (for waiters that want all of them).</summary>
    public const int All = 0xffff;
}
