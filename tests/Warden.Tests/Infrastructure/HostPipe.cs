using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Warden.Tests.Infrastructure;

/// <summary>A host pipe (<c>pipe2(2)</c>), as two file handles the test owns.</summary>
public sealed partial class HostPipe : IDisposable
{
    private const int O_CLOEXEC = 0x80000;

    private HostPipe(SafeFileHandle read, SafeFileHandle write)
    {
        Read = read;
        Write = write;
    }

    /// <summary>The read end.</summary>
    public SafeFileHandle Read { get; }

    /// <summary>The write end.</summary>
    public SafeFileHandle Write { get; }

    public static unsafe HostPipe Create()
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_CLOEXEC) != 0)
        {
            throw new IOException($"pipe2 failed with errno {Marshal.GetLastPInvokeError()}.");
        }
        return new HostPipe(new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    public void Dispose()
    {
        Read.Dispose();
        Write.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static unsafe partial int Pipe2(int* fds, int flags);
}
