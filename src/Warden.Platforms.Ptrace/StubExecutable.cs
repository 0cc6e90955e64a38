using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// The stub program (<see cref="StubImage"/>) as a file the kernel can execute: written once per
/// process into a memfd, executed through <c>/proc/self/fd/N</c>; where memfds may not be executed,
/// into a private temporary file instead.
/// </summary>
/// <remarks>Thread-safe; the file lives as long as the process.</remarks>
[SupportedOSPlatform("linux")]
internal static class StubExecutable
{
    // MFD_EXEC (Linux 6.3+): the memfd may be executed even where memfds are non-executable by default.
    private const uint MfdExec = 0x10;

    private static readonly Lock s_lock = new();

    // Guarded by s_lock: the descriptor that keeps a memfd alive, and the path to execute.
    private static SafeFileHandle? s_memfd;
    private static string? s_path;

    /// <summary>Returns the path of the executable stub, writing it on first use.</summary>
    /// <returns>The path, or why the file could not be written.</returns>
    public static (string? Path, Error? Error) GetPath()
    {
        lock (s_lock)
        {
            if (s_path is not null)
            {
                return (s_path, null);
            }
            byte[] elf = StubImage.Instance.Elf;

            (SafeFileHandle? fd, Errno? error) = Libc.MemfdCreate("warden-ptrace-stub", Libc.MFD_CLOEXEC | MfdExec);
            if (error == Errno.EINVAL)
            {
                // A kernel without MFD_EXEC: its memfds are executable anyway.
                (fd, error) = Libc.MemfdCreate("warden-ptrace-stub", Libc.MFD_CLOEXEC);
            }
            if (error is null)
            {
                string path = $"/proc/self/fd/{(int)fd!.DangerousGetHandle()}";
                if (WriteAll(fd, elf) is null && IsExecutable(path))
                {
                    s_memfd = fd;
                    s_path = path;
                    return (s_path, null);
                }
                fd.Dispose();
            }
            return WriteTemporaryFile(elf);
        }
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            return (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static (string? Path, Error? Error) WriteTemporaryFile(byte[] elf)
    {
        try
        {
            string dir = Directory.CreateTempSubdirectory("warden-ptrace-").FullName;
            string path = Path.Combine(dir, "stub");
            File.WriteAllBytes(path, elf);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            s_path = path;
            return (path, null);
        }
        catch (IOException e)
        {
            return (null, new ExceptionError(e));
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, new ExceptionError(e));
        }
    }

    private static unsafe Errno? WriteAll(SafeFileHandle fd, byte[] bytes)
    {
        fixed (byte* p = bytes)
        {
            long done = 0;
            while (done < bytes.Length)
            {
                var iov = new Iovec { Base = p + done, Length = (nuint)(bytes.Length - done) };
                (long n, Errno? error) = Libc.Pwritev(fd, &iov, 1, done);
                if (error is not null)
                {
                    return error;
                }
                done += n;
            }
        }
        return null;
    }
}
