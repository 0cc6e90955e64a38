using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Loader;

namespace Warden.Kernel.Files;

/// <summary>Opens programs for the loader as execve does: inside the sandbox root, from the caller's working directory.</summary>
internal sealed class ExecutableOpener(Kernel kernel, FsContext fs, Tasks.ThreadGroup? self = null) : IExecutableOpener
{
    private const int X_OK = 1;
    private const uint S_IFMT = 0xf000;
    private const uint S_IFREG = 0x8000;
    private const uint S_IFDIR = 0x4000;

    /// <inheritdoc/>
    public (SafeFileHandle? Handle, string ResolvedPath, Error? Error) OpenExecutable(IContext ctx, string path)
    {
        (string absolute, Errno? error) = FsContext.Join(fs.Cwd, path);
        if (error is not null)
        {
            return (null, path, error);
        }
        if (VirtualFileSystem.IsProc(absolute, out string proc))
        {
            // /proc/self/exe and /proc/PID/exe are the process's program (busybox runs its applets
            // by executing it); nothing else in procfs is executable.
            string? image = ProcExeTarget(proc);
            if (image is null)
            {
                return (null, absolute, Errno.EACCES);
            }
            absolute = image;
        }
        (SafeFileHandle? fd, error) = kernel.Root.Open(absolute, OpenFlags.O_RDONLY, 0);
        if (error is not null)
        {
            return (null, absolute, error);
        }
        Span<byte> stat = stackalloc byte[Libc.StatSize];
        error = Libc.FstatEmptyPath(fd!, stat);
        uint type = BitConverter.ToUInt32(stat[LinuxStat.ModeOffset..]) & S_IFMT;
        error ??= type == S_IFREG ? Libc.FaccessEmptyPath(fd!, X_OK, Libc.AT_EACCESS) : Errno.EACCES;
        if (error is not null)
        {
            fd!.Dispose();
            return (null, absolute, type == S_IFDIR ? Errno.EACCES : error);
        }
        return (fd, kernel.Root.SandboxPathOf(fd!) ?? absolute, null);
    }

    // The program a /proc/.../exe link names, or null when the path is no such link.
    private string? ProcExeTarget(string proc)
    {
        string[] parts = proc.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[2] != "exe")
        {
            return null;
        }
        Tasks.ThreadGroup? group = parts[1] is "self" or "thread-self" ? self
            : int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) ? kernel.FindProcess(pid) : null;
        return group?.Image?.ExecutablePath;
    }
}
