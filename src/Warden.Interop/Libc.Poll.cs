using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>POLLIN</c>.</summary>
    public const short POLLIN = 0x1;

    /// <summary><c>POLLOUT</c>.</summary>
    public const short POLLOUT = 0x4;

    /// <summary><c>POLLPRI</c>.</summary>
    public const short POLLPRI = 0x2;

    /// <summary><c>POLLERR</c>.</summary>
    public const short POLLERR = 0x8;

    /// <summary><c>POLLHUP</c>.</summary>
    public const short POLLHUP = 0x10;

    /// <summary><c>POLLNVAL</c>.</summary>
    public const short POLLNVAL = 0x20;

    /// <summary><c>EFD_CLOEXEC</c>.</summary>
    public const int EFD_CLOEXEC = 0x80000;

    /// <summary><c>EFD_NONBLOCK</c>.</summary>
    public const int EFD_NONBLOCK = 0x800;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(LibraryName, EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint count, int timeout);

    [LibraryImport(LibraryName, EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventfdNative(uint initval, int flags);

    /// <summary><c>eventfd(2)</c>.</summary>
    [SupportedOSPlatform("linux")]
    public static (SafeFileHandle? Fd, Errno? Error) Eventfd(uint initial, int flags)
    {
        int fd = EventfdNative(initial, flags);
        return fd < 0 ? (null, LastErrno()) : (new SafeFileHandle(fd, ownsHandle: true), null);
    }

    /// <summary>
    /// Waits until <paramref name="fd"/> is ready for <paramref name="events"/> or <paramref name="wake"/>
    /// is readable, with no time limit; retries EINTR.
    /// </summary>
    /// <returns>Whether <paramref name="wake"/> ended the wait, or the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (bool Woken, Errno? Error) PollOrWake(SafeFileHandle fd, short events, SafeFileHandle wake)
    {
        // The descriptors travel inside pollfd structs, where the marshaller cannot hold a reference
        // on their handles, so the references are taken here for the length of the wait.
        bool fdAdded = false;
        bool wakeAdded = false;
        try
        {
            fd.DangerousAddRef(ref fdAdded);
            wake.DangerousAddRef(ref wakeAdded);
            PollFd* fds = stackalloc PollFd[2];
            fds[0] = new PollFd { Fd = (int)fd.DangerousGetHandle(), Events = events };
            fds[1] = new PollFd { Fd = (int)wake.DangerousGetHandle(), Events = POLLIN };
            while (true)
            {
                if (PollNative(fds, 2, -1) >= 0)
                {
                    return (fds[1].Revents != 0, null);
                }
                if (!LastCallWasInterrupted())
                {
                    return (false, LastErrno());
                }
            }
        }
        finally
        {
            if (fdAdded)
            {
                fd.DangerousRelease();
            }
            if (wakeAdded)
            {
                wake.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// <c>poll(2)</c> of <paramref name="handles"/>, each for its <paramref name="events"/>, for at
    /// most <paramref name="timeoutMs"/> milliseconds (-1 for no limit); the events that occurred go
    /// to <paramref name="revents"/>. EINTR is returned, not retried (the caller's deadline decides).
    /// At most 64 descriptors.
    /// </summary>
    /// <returns>How many descriptors have events, or the errno.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or hold more than 64 descriptors.</exception>
    [SupportedOSPlatform("linux")]
    public static (int Ready, Errno? Error) Poll(ReadOnlySpan<SafeFileHandle> handles, ReadOnlySpan<short> events, Span<short> revents, int timeoutMs)
    {
        if (handles.Length != events.Length || handles.Length != revents.Length || handles.Length > 64)
        {
            ThrowHelper.ThrowArgument(nameof(handles), "Poll takes at most 64 descriptors, with one events and one revents entry each.");
        }
        PollFd* fds = stackalloc PollFd[handles.Length];
        int added = 0;
        try
        {
            for (; added < handles.Length; added++)
            {
                bool ok = false;
                handles[added].DangerousAddRef(ref ok);
                fds[added] = new PollFd { Fd = (int)handles[added].DangerousGetHandle(), Events = events[added] };
            }
            int n = PollNative(fds, (nuint)handles.Length, timeoutMs);
            if (n < 0)
            {
                return (0, LastErrno());
            }
            for (int i = 0; i < handles.Length; i++)
            {
                revents[i] = fds[i].Revents;
            }
            return (n, null);
        }
        finally
        {
            for (int i = 0; i < added; i++)
            {
                handles[i].DangerousRelease();
            }
        }
    }
}
