using Microsoft.Win32.SafeHandles;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>
/// A one-page temporary file that Warden opens read-only, as a <see cref="HostFdFile"/>: mapping it
/// writable fails in a stub with EACCES. Closed and deleted by <see cref="Dispose"/>.
/// </summary>
internal sealed class ReadOnlyTempFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    public ReadOnlyTempFile()
    {
        Path = System.IO.Path.GetTempFileName();
        File.WriteAllBytes(Path, new byte[PtraceTestBed.Page]);
        _handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read);
        HostFile = new HostFdFile((int)_handle.DangerousGetHandle());
    }

    /// <summary>Where the file is.</summary>
    public string Path { get; }

    /// <summary>The file, to map.</summary>
    public HostFdFile HostFile { get; }

    public void Dispose()
    {
        _handle.Dispose();
        File.Delete(Path);
    }
}
