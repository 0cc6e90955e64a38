using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.Kernel.Loader;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// An <see cref="IExecutableOpener"/> over a host directory that stands for the sandbox's root: the
/// sandbox path <c>/a/b</c> is the host's <c>Root/a/b</c>, relative paths start at
/// <see cref="WorkingDirectory"/>. Gives execve's errnos for what tests need: ENOENT, EACCES for a
/// directory or a file without an execute bit, ENOENT for the empty path. Records every path it was asked for.
/// </summary>
internal sealed class DirectoryOpener(string root) : IExecutableOpener
{
    public string Root { get; } = root;

    public string WorkingDirectory { get; set; } = "/";

    public List<string> Opened { get; } = [];

    public string HostPath(string sandboxPath) => Path.Join(Root, sandboxPath);

    public (SafeFileHandle? Handle, string ResolvedPath, Error? Error) OpenExecutable(IContext ctx, string path)
    {
        Opened.Add(path);
        if (path.Length == 0)
        {
            return (null, path, Errno.ENOENT);
        }
        string resolved = Path.GetFullPath(path.StartsWith('/') ? path : Path.Join(WorkingDirectory, path));
        string host = HostPath(resolved);
        if (Directory.Exists(host))
        {
            return (null, resolved, Errno.EACCES);
        }
        if (!File.Exists(host))
        {
            return (null, resolved, Errno.ENOENT);
        }
        if ((File.GetUnixFileMode(host) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            return (null, resolved, Errno.EACCES);
        }
        return (File.OpenHandle(host, FileMode.Open, FileAccess.Read), resolved, null);
    }
}
