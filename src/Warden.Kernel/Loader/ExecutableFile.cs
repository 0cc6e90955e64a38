using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Kernel.Loader;

/// <summary>
/// A file being executed: its open handle, sandbox path and size, read with pread(2). Owns the
/// handle until <see cref="TakeHandle"/> hands it on (to a <see cref="Mm.HostFileMappable"/>).
/// </summary>
internal sealed class ExecutableFile : IDisposable
{
    private SafeFileHandle? _handle;

    private ExecutableFile(SafeFileHandle handle, string path, ulong size)
    {
        _handle = handle;
        Path = path;
        Size = size;
    }

    /// <summary>The sandbox path the opener resolved.</summary>
    public string Path { get; }

    /// <summary>The file's size when it was opened.</summary>
    public ulong Size { get; }

    /// <summary>Wraps <paramref name="handle"/> (owned from now on, even on failure).</summary>
    /// <returns>The file, or fstat's errno.</returns>
    public static (ExecutableFile? File, Error? Error) Create(SafeFileHandle handle, string path)
    {
        (long size, _, Errno? error) = Libc.Fstat(handle);
        if (error is not null)
        {
            handle.Dispose();
            return (null, error);
        }
        return (new ExecutableFile(handle, path, (ulong)Math.Max(size, 0)), null);
    }

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; bytes past the end of the
    /// file are left as they are.
    /// </summary>
    /// <returns>The bytes read, or pread's errno.</returns>
    public (int Count, Error? Error) ReadAt(ulong offset, Span<byte> buffer)
    {
        SafeFileHandle handle = _handle ?? throw new ObjectDisposedException(nameof(ExecutableFile));
        int done = 0;
        while (done < buffer.Length)
        {
            if (offset + (ulong)done > long.MaxValue)
            {
                break;
            }
            (int n, Errno? error) = Libc.Pread(handle, buffer[done..], (long)(offset + (ulong)done));
            if (error is not null)
            {
                return (done, error);
            }
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return (done, null);
    }

    /// <summary>Gives up the handle: the caller owns it now and this object reads no more.</summary>
    public SafeFileHandle TakeHandle()
    {
        SafeFileHandle handle = _handle ?? throw new ObjectDisposedException(nameof(ExecutableFile));
        _handle = null;
        return handle;
    }

    /// <summary>Closes the handle unless it was taken.</summary>
    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }
}
