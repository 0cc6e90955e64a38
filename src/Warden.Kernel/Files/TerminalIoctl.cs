using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Files;

/// <summary>
/// The terminal ioctls a program may make on a host descriptor: passed to the host when the
/// descriptor is a terminal (the argument copied through the kernel), ENOTTY otherwise.
/// </summary>
internal static class TerminalIoctl
{
    public const uint TCGETS = 0x5401;
    public const uint TCSETS = 0x5402;
    public const uint TCSETSW = 0x5403;
    public const uint TCSETSF = 0x5404;
    public const uint TIOCGPGRP = 0x540f;
    public const uint TIOCSPGRP = 0x5410;
    public const uint TIOCGWINSZ = 0x5413;
    public const uint TIOCSWINSZ = 0x5414;
    public const uint FIONREAD = 0x541b;

    // The kernel's struct termios (not glibc's larger one): four flags, c_line, 19 control characters.
    private const int TermiosSize = 36;

    // c_lflag's TOSTOP: a background group's writes raise SIGTTOU.
    private const uint TOSTOP = 0x100;
    private const int WinsizeSize = 8;

    public static (long Result, Error? Error) Handle(KernelTask task, SafeFileHandle fd, uint request, ulong argument)
    {
        if (!Libc.Isatty(fd))
        {
            return (0, Errno.ENOTTY);
        }
        switch (request)
        {
            case TCGETS:
                return Out(task, fd, request, argument, TermiosSize);
            case TIOCGWINSZ:
                return Out(task, fd, request, argument, WinsizeSize);
            case FIONREAD:
                return Out(task, fd, request, argument, sizeof(int));
            case TCSETS or TCSETSW or TCSETSF:
                return task.Kernel.Terminal.CheckAccess(task, Signals.Signal.SIGTTOU) is { } settingsStop ? (0, settingsStop) : In(task, fd, request, argument, TermiosSize);
            case TIOCSWINSZ:
                return In(task, fd, request, argument, WinsizeSize);
            case TIOCGPGRP:
            {
                (int group, Errno? error) = task.Kernel.Terminal.Get(task.Group);
                if (error is not null)
                {
                    return (0, error);
                }
                (_, Error? copyError) = task.CopyObjectOut((Addr)argument, group);
                return (0, copyError);
            }
            case TIOCSPGRP:
            {
                if (task.Kernel.Terminal.CheckAccess(task, Signals.Signal.SIGTTOU) is { } groupStop)
                {
                    return (0, groupStop);
                }
                (_, Error? copyError) = task.CopyObjectIn((Addr)argument, out int group);
                return copyError is not null ? (0, copyError) : (0, task.Kernel.Terminal.Set(task.Kernel, task.Group, group));
            }
            default:
                return (0, Errno.ENOTTY);
        }
    }

    /// <summary>
    /// Job control before a read (<paramref name="write"/> false) or write of terminal <paramref name="fd"/>:
    /// SIGTTIN for a background reader, SIGTTOU for a background writer when TOSTOP is set (see
    /// <see cref="TerminalForeground.CheckAccess"/>); <c>null</c> to go ahead.
    /// </summary>
    public static Error? CheckReadOrWrite(KernelTask task, SafeFileHandle fd, bool write)
    {
        if (!write)
        {
            return task.Kernel.Terminal.CheckAccess(task, Signals.Signal.SIGTTIN);
        }
        if (!task.Kernel.Terminal.IsBackground(task.Group))
        {
            // The foreground's writes (nearly all of them) cost no look at the terminal's modes.
            return null;
        }
        Span<byte> termios = stackalloc byte[64];
        (_, Errno? error) = Libc.Ioctl(fd, TCGETS, termios);
        // c_lflag is the fourth of the four flag words.
        bool tostop = error is null && (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(termios[12..]) & TOSTOP) != 0;
        return tostop ? task.Kernel.Terminal.CheckAccess(task, Signals.Signal.SIGTTOU) : null;
    }

    private static (long Result, Error? Error) Out(KernelTask task, SafeFileHandle fd, uint request, ulong argument, int size)
    {
        Span<byte> buffer = stackalloc byte[64];
        (int r, Errno? error) = Libc.Ioctl(fd, request, buffer);
        if (error is not null)
        {
            return (0, error);
        }
        (_, Error? copyError) = task.CopyOut((Addr)argument, buffer[..size]);
        return (r, copyError);
    }

    private static (long Result, Error? Error) In(KernelTask task, SafeFileHandle fd, uint request, ulong argument, int size)
    {
        Span<byte> buffer = stackalloc byte[64];
        (_, Error? copyError) = task.CopyIn((Addr)argument, buffer[..size]);
        if (copyError is not null)
        {
            return (0, copyError);
        }
        (int r, Errno? error) = Libc.Ioctl(fd, request, buffer);
        return (r, error);
    }
}
