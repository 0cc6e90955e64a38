using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Loader;

namespace Warden.Cli;

/// <summary>
/// Serves the demonstration program to the loader from a memfd holding <see cref="DemoProgram"/>'s
/// bytes, under the name <see cref="Path"/>; every other path is ENOENT (it needs no interpreter).
/// </summary>
internal sealed class DemoOpener : IExecutableOpener, IDisposable
{
    /// <summary>The path the demonstration runs as.</summary>
    public const string Path = "/warden-demo";

    private readonly SafeFileHandle _memfd;

    private DemoOpener(SafeFileHandle memfd) => _memfd = memfd;

    /// <summary>Puts <paramref name="executable"/> in a new memfd.</summary>
    /// <returns>The opener, or the errno of memfd_create or of the write.</returns>
    public static (DemoOpener? Opener, Errno? Error) Create(ReadOnlySpan<byte> executable)
    {
        (SafeFileHandle? memfd, Errno? error) = Libc.MemfdCreate("warden-demo", Libc.MFD_CLOEXEC);
        if (error is not null)
        {
            return (null, error);
        }
        int written = 0;
        while (written < executable.Length)
        {
            (int count, error) = Libc.Write(memfd!, executable[written..]);
            if (error is not null)
            {
                memfd!.Dispose();
                return (null, error);
            }
            written += count;
        }
        return (new DemoOpener(memfd!), null);
    }

    /// <inheritdoc/>
    public (SafeFileHandle? Handle, string ResolvedPath, Error? Error) OpenExecutable(IContext ctx, string path)
    {
        if (path != Path)
        {
            return (null, path, Errno.ENOENT);
        }
        // The loader owns what it is given: a descriptor of its own on the same file.
        (SafeFileHandle? dup, Errno? error) = Libc.Dup(_memfd);
        return (dup, Path, error);
    }

    /// <summary>Closes the memfd (descriptors handed out stay open).</summary>
    public void Dispose() => _memfd.Dispose();
}
