using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    /// <summary><c>SIGKILL</c>.</summary>
    public const int SIGKILL = 9;

    /// <summary><c>SIGSTOP</c>.</summary>
    public const int SIGSTOP = 19;

    /// <summary><c>SIGCHLD</c>.</summary>
    public const int SIGCHLD = 17;

    /// <summary><c>SI_USER</c>: the <c>si_code</c> of a signal sent by <c>kill</c> (or <c>pidfd_send_signal</c> without a <c>siginfo</c>).</summary>
    public const int SI_USER = 0;

    /// <summary><c>SI_TKILL</c>: the <c>si_code</c> of a signal sent by <c>tgkill</c> or <c>tkill</c>.</summary>
    public const int SI_TKILL = -6;

    [LibraryImport(LibraryName, EntryPoint = "posix_spawn")]
    private static partial int PosixSpawnNative(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(LibraryName, EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int PidfdOpenNative(int pid, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    private static partial int PidfdSendSignalNative(SafeFileHandle pidfd, int sig, void* info, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport(LibraryName, EntryPoint = "tgkill", SetLastError = true)]
    private static partial int TgkillNative(int tgid, int tid, int sig);

    /// <summary>
    /// <c>posix_spawn(3)</c> of <paramref name="path"/> with <c>argv = { path }</c>, an empty
    /// environment, and no file actions or attributes: the child inherits the calling thread's
    /// signal mask and every descriptor not marked close-on-exec.
    /// </summary>
    /// <returns>The child's pid, or the errno (posix_spawn reports exec failures too, through its return value).</returns>
    /// <remarks>
    /// The child's parent is the calling thread: a child that then asks to be traced
    /// (<see cref="PTRACE_TRACEME"/>) is traced by that thread.
    /// </remarks>
    [SupportedOSPlatform("linux")]
    public static (int Pid, Errno? Error) PosixSpawn(string path) => PosixSpawn(path, [path], []);

    /// <summary>
    /// <c>posix_spawn(3)</c> of <paramref name="path"/> with the given arguments (<paramref name="argv"/>
    /// includes <c>argv[0]</c>) and environment (<c>NAME=value</c> strings), and no file actions or
    /// attributes. Unlike <c>System.Diagnostics.Process</c>, it leaves the runtime's <c>SIGCHLD</c>
    /// handling alone: reap the child with <see cref="Waitpid"/>.
    /// </summary>
    /// <returns>The child's pid, or the errno (posix_spawn reports exec failures too, through its return value).</returns>
    [SupportedOSPlatform("linux")]
    public static (int Pid, Errno? Error) PosixSpawn(string path, ReadOnlySpan<string> argv, ReadOnlySpan<string> envp)
    {
        ArgumentNullException.ThrowIfNull(path);
        // One block for every string, NUL-terminated, and the two pointer arrays.
        byte*[] pointers = new byte*[argv.Length + 1 + envp.Length + 1];
        byte[] strings = new byte[Encoding.UTF8.GetByteCount(path) + 1 + TotalBytes(argv) + TotalBytes(envp)];
        fixed (byte* block = strings)
        fixed (byte** table = pointers)
        {
            int offset = 0;
            byte* pathBytes = Store(block, ref offset, path);
            for (int i = 0; i < argv.Length; i++)
            {
                table[i] = Store(block, ref offset, argv[i]);
            }
            byte** envTable = table + argv.Length + 1;
            for (int i = 0; i < envp.Length; i++)
            {
                envTable[i] = Store(block, ref offset, envp[i]);
            }
            int pid = 0;
            int error = PosixSpawnNative(&pid, pathBytes, null, null, table, envTable);
            return error == 0 ? (pid, null) : (0, Errno.FromNumber(error));
        }

        static int TotalBytes(ReadOnlySpan<string> values)
        {
            int total = 0;
            foreach (string value in values)
            {
                total += Encoding.UTF8.GetByteCount(value) + 1;
            }
            return total;
        }

        static byte* Store(byte* block, ref int offset, string value)
        {
            byte* start = block + offset;
            int length = Encoding.UTF8.GetBytes(value, new Span<byte>(start, Encoding.UTF8.GetByteCount(value)));
            start[length] = 0;
            offset += length + 1;
            return start;
        }
    }

    /// <summary><c>pidfd_open(2)</c>: a descriptor that refers to process <paramref name="pid"/> for as long as it is open, even after the pid is reused.</summary>
    /// <returns>The owned descriptor (close-on-exec), or <c>null</c> and the errno.</returns>
    [SupportedOSPlatform("linux")]
    public static (SafeFileHandle? Fd, Errno? Error) PidfdOpen(int pid, uint flags)
    {
        int fd = PidfdOpenNative(pid, flags);
        return fd < 0 ? (null, LastErrno()) : (new SafeFileHandle(fd, ownsHandle: true), null);
    }

    /// <summary>
    /// <c>pidfd_send_signal(2)</c> with no <c>siginfo</c>: sends <paramref name="sig"/> to the process
    /// <paramref name="pidfd"/> refers to, as <c>kill</c> would (<c>si_code</c> is <c>SI_USER</c>).
    /// </summary>
    /// <returns><c>null</c>, or the errno (<c>ESRCH</c> once the process has exited).</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? PidfdSendSignal(SafeFileHandle pidfd, int sig) =>
        PidfdSendSignalNative(pidfd, sig, null, 0) == 0 ? null : LastErrno();

    /// <summary><c>kill(2)</c>.</summary>
    /// <returns><c>null</c>, or the errno (<c>ESRCH</c> when there is no such process).</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Kill(int pid, int sig) => KillNative(pid, sig) == 0 ? null : LastErrno();

    /// <summary><c>tgkill(2)</c>: sends <paramref name="sig"/> to the one thread <paramref name="tid"/> of thread group <paramref name="tgid"/>.</summary>
    /// <returns><c>null</c>, or the errno (<c>ESRCH</c> when there is no such thread).</returns>
    [SupportedOSPlatform("linux")]
    public static Errno? Tgkill(int tgid, int tid, int sig) => TgkillNative(tgid, tid, sig) == 0 ? null : LastErrno();
}
