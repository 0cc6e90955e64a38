using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// A host pseudo-terminal: the master end, which the test owns, and the path of its slave, for a
/// program to have as a terminal (opened by whoever runs it). The master is never read: programs
/// given the slave must not write to it more than its buffer holds.
/// </summary>
public sealed partial class HostPty : IDisposable
{
    private const int O_RDWR = 2;
    private const int O_NOCTTY = 0x100;
    private const int O_CLOEXEC = 0x80000;

    private HostPty(SafeFileHandle master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
    }

    /// <summary>The master end.</summary>
    public SafeFileHandle Master { get; }

    /// <summary>The slave's path (<c>/dev/pts/N</c>).</summary>
    public string SlavePath { get; }

    public static unsafe HostPty Open()
    {
        int fd = PosixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"posix_openpt failed with errno {Marshal.GetLastPInvokeError()}.");
        }
        var master = new SafeFileHandle(fd, ownsHandle: true);
        byte* name = stackalloc byte[128];
        if (Grantpt(fd) != 0 || Unlockpt(fd) != 0 || PtsnameR(fd, name, 128) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            master.Dispose();
            throw new IOException($"setting up the pseudo-terminal's slave failed with errno {errno}.");
        }
        return new HostPty(master, Marshal.PtrToStringUTF8((nint)name)!);
    }

    public void Dispose() => Master.Dispose();

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int Grantpt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int Unlockpt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static unsafe partial int PtsnameR(int fd, byte* buffer, nuint length);
}
