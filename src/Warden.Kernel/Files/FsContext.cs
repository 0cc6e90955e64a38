using Warden.Errors;

namespace Warden.Kernel.Files;

/// <summary>
/// A task's place in the file system (Linux's <c>fs_struct</c>): its working directory, as a canonical
/// sandbox path, and its umask. Shared by clone(CLONE_FS), copied by fork.
/// </summary>
internal sealed class FsContext
{
    private readonly Lock _lock = new();
    private string _cwd;
    private int _umask;

    public FsContext(string cwd, int umask)
    {
        _cwd = cwd;
        _umask = umask;
    }

    public string Cwd
    {
        get { lock (_lock) { return _cwd; } }
        set { lock (_lock) { _cwd = value; } }
    }

    /// <summary>Sets the umask; returns the previous one.</summary>
    public int SwapUmask(int umask)
    {
        lock (_lock)
        {
            int old = _umask;
            _umask = umask & 0x1ff;
            return old;
        }
    }

    public int Umask
    {
        get { lock (_lock) { return _umask; } }
    }

    public FsContext Fork() => new(Cwd, Umask);

    /// <summary>
    /// Joins <paramref name="path"/> to <paramref name="directory"/> (a canonical sandbox path) unless
    /// it is absolute. Nothing is resolved: <c>..</c> and links are the host lookup's business.
    /// </summary>
    /// <returns>The absolute path; ENOENT for an empty path, ENAMETOOLONG past PATH_MAX.</returns>
    public static (string Path, Errno? Error) Join(string directory, string path)
    {
        if (path.Length == 0)
        {
            return ("", Errno.ENOENT);
        }
        if (path.Length >= 4096)
        {
            return ("", Errno.ENAMETOOLONG);
        }
        if (path[0] == '/')
        {
            return (path, null);
        }
        return (directory.EndsWith('/') ? directory + path : directory + "/" + path, null);
    }

    /// <summary>
    /// Collapses <c>.</c>, <c>..</c> and repeated slashes in an absolute path, as a lookup that
    /// meets no links would. Used only to recognise paths the kernel serves itself (<c>/proc</c>).
    /// </summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
