using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Kernel.Files;

/// <summary>
/// The directory the program sees as <c>/</c>: every lookup is an <c>openat2</c> from it with
/// <c>RESOLVE_IN_ROOT</c>, so neither <c>..</c> nor an absolute symbolic link can leave it, and magic
/// links (<c>/proc/*/fd/*</c> of the host) are refused. With <see cref="ReadOnly"/>, nothing in it
/// can be changed.
/// </summary>
internal sealed class SandboxRoot : IDisposable
{
    private const ulong Resolve = Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS;

    private SandboxRoot(SafeFileHandle fd, string hostPath, bool readOnly)
    {
        Fd = fd;
        HostPath = hostPath;
        ReadOnly = readOnly;
    }

    /// <summary>The root directory (an <c>O_PATH</c> descriptor).</summary>
    public SafeFileHandle Fd { get; }

    /// <summary>The root's canonical path on the host.</summary>
    public string HostPath { get; }

    /// <summary>Whether every change is refused with EROFS.</summary>
    public bool ReadOnly { get; }

    /// <summary>Opens the host directory <paramref name="hostPath"/> as a sandbox root.</summary>
    public static (SafeFileHandle? Fd, string CanonicalPath, Errno? Error) OpenHostDirectory(string hostPath)
    {
        string full = Path.GetFullPath(hostPath);
        using var cwd = new SafeFileHandle(Libc.AT_FDCWD, ownsHandle: false);
        (SafeFileHandle? fd, Errno? error) = Libc.Openat2(
            cwd, Encoding.UTF8.GetBytes(full), OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0, 0);
        if (error is not null)
        {
            return (null, full, error);
        }
        return (fd, RealPath(fd!) ?? full, null);
    }

    /// <summary>Makes a root of <paramref name="hostPath"/>.</summary>
    public static (SandboxRoot? Root, Errno? Error) Create(string hostPath, bool readOnly)
    {
        (SafeFileHandle? fd, string canonical, Errno? error) = OpenHostDirectory(hostPath);
        return error is not null ? (null, error) : (new SandboxRoot(fd!, canonical, readOnly), null);
    }

    /// <summary>Opens the sandbox path <paramref name="path"/> (absolute) with <paramref name="flags"/>.</summary>
    public (SafeFileHandle? Fd, Errno? Error) Open(string path, int flags, uint mode)
    {
        string relative = path.TrimStart('/');
        if (relative.Length == 0)
        {
            relative = ".";
        }
        // openat2 refuses flags it does not know and modes with stray bits, where open(2) ignores them.
        int hostFlags = (flags & OpenFlags.Known) | OpenFlags.O_CLOEXEC;
        ulong hostMode = (flags & (OpenFlags.O_CREAT | OpenFlags.O_TMPFILE)) != 0 ? mode & 0xfff : 0;
        return Libc.Openat2(Fd, Encoding.UTF8.GetBytes(relative), (ulong)(uint)hostFlags, hostMode, Resolve);
    }

    /// <summary>
    /// Opens the directory that holds the last component of <paramref name="path"/> and returns that
    /// component, for the calls that act on a name in a directory (mkdir, unlink, rename, ...).
    /// </summary>
    /// <returns>The directory and name; ENOENT for an empty path.</returns>
    public (SafeFileHandle? Dir, string Name, Errno? Error) OpenParent(string path)
    {
        string trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            // "/" itself.
            (SafeFileHandle? root, Errno? rootError) = Open("/", OpenFlags.O_PATH | OpenFlags.O_DIRECTORY, 0);
            return (root, ".", rootError);
        }
        int slash = trimmed.LastIndexOf('/');
        string parent = slash <= 0 ? "/" : trimmed[..slash];
        string name = trimmed[(slash + 1)..];
        (SafeFileHandle? dir, Errno? error) = Open(parent, OpenFlags.O_PATH | OpenFlags.O_DIRECTORY, 0);
        return (dir, name, error);
    }

    /// <summary>The sandbox path of an open host file, from its host path; <c>null</c> if it lies outside the root.</summary>
    public string? SandboxPathOf(SafeFileHandle fd)
    {
        string? host = RealPath(fd);
        if (host is null)
        {
            return null;
        }
        if (HostPath == "/")
        {
            return host;
        }
        if (host == HostPath)
        {
            return "/";
        }
        return host.StartsWith(HostPath + "/", StringComparison.Ordinal) ? host[HostPath.Length..] : null;
    }

    /// <summary>What the host's /proc/self/fd link of <paramref name="fd"/> says (a path, or <c>pipe:[N]</c>, ...).</summary>
    public static string? HostLinkOf(SafeFileHandle fd) => RealPath(fd);

    private static string? RealPath(SafeFileHandle fd)
    {
        // The number goes into a path, where the marshaller cannot hold the handle: hold it here, so
        // that a close on another thread cannot free the number (and let it name another file) while
        // the link is read.
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            // The link's text as the host wrote it: an absolute path, or pipe:[N] and the like.
            return new FileInfo($"/proc/self/fd/{fd.DangerousGetHandle()}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    public void Dispose() => Fd.Dispose();
}
