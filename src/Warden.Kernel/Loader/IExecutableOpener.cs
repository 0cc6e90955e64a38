using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;

namespace Warden.Kernel.Loader;

/// <summary>
/// Opens the files <see cref="ProgramLoader"/> executes: the program itself and the interpreters
/// named by <c>#!</c> lines. The kernel implements it over its path resolution inside the sandbox.
/// </summary>
public interface IExecutableOpener
{
    /// <summary>
    /// Opens <paramref name="path"/> (as the program gave it: absolute inside the sandbox, or
    /// relative to its working directory) for reading, as execve(2) does.
    /// </summary>
    /// <returns>
    /// The open file, which belongs to the caller from now on, and its path inside the sandbox; or
    /// execve's errno: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES (not a regular file, or no
    /// execute permission), and so on.
    /// </returns>
    (SafeFileHandle? Handle, string ResolvedPath, Error? Error) OpenExecutable(IContext ctx, string path);
}
