using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>WNOHANG</c>: return at once if no child has changed state.</summary>
    public const int WNOHANG = 0x1;

    /// <summary><c>__WNOTHREAD</c>: wait only for children of the calling thread, not of the whole thread group.</summary>
    public const int __WNOTHREAD = 0x20000000;

    /// <summary><c>__WALL</c>: wait for every kind of child (threads and non-<c>SIGCHLD</c> children too).</summary>
    public const int __WALL = 0x40000000;

    [LibraryImport(LibraryName, EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitpidNative(int pid, int* status, int options);

    /// <summary><c>waitpid(2)</c>; retries <c>EINTR</c>.</summary>
    /// <returns>
    /// The pid that changed state and its status word (decode it with <see cref="WIFEXITED"/> and
    /// friends), 0 if <see cref="WNOHANG"/> was given and nothing changed, or the errno.
    /// </returns>
    [SupportedOSPlatform("linux")]
    public static (int Pid, int Status, Errno? Error) Waitpid(int pid, int options)
    {
        int status = 0;
        while (true)
        {
            int r = WaitpidNative(pid, &status, options);
            if (r >= 0)
            {
                return (r, status, null);
            }
            if (!LastCallWasInterrupted())
            {
                return (0, 0, LastErrno());
            }
        }
    }

    /// <summary><c>WIFEXITED</c>: the child exited normally.</summary>
    public static bool WIFEXITED(int status) => (status & 0x7f) == 0;

    /// <summary><c>WEXITSTATUS</c>: the exit status of a child for which <see cref="WIFEXITED"/> holds.</summary>
    public static int WEXITSTATUS(int status) => (status >> 8) & 0xff;

    /// <summary><c>WIFSIGNALED</c>: the child was killed by a signal.</summary>
    public static bool WIFSIGNALED(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;

    /// <summary><c>WTERMSIG</c>: the signal that killed a child for which <see cref="WIFSIGNALED"/> holds.</summary>
    public static int WTERMSIG(int status) => status & 0x7f;

    /// <summary><c>WIFSTOPPED</c>: the child is stopped (for a tracee: any ptrace stop).</summary>
    public static bool WIFSTOPPED(int status) => (status & 0xff) == 0x7f;

    /// <summary>
    /// <c>WSTOPSIG</c>: the signal that stopped a child for which <see cref="WIFSTOPPED"/> holds
    /// (<c>SIGTRAP | 0x80</c> for a system call stop under <see cref="PTRACE_O_TRACESYSGOOD"/>).
    /// </summary>
    public static int WSTOPSIG(int status) => (status >> 8) & 0xff;

    /// <summary>The <c>PTRACE_EVENT_*</c> of a ptrace event stop (<c>status &gt;&gt; 16</c>), 0 for other stops.</summary>
    public static int PtraceEventOf(int status) => (status >> 16) & 0xff;
}
