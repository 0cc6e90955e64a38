using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Files;

namespace Warden.Cli;

/// <summary>
/// Looks at paths inside the sandbox root exactly as the kernel resolves them (through its
/// <see cref="SandboxRoot"/>: <c>openat2</c> with <c>RESOLVE_IN_ROOT</c>), so that a lookup under
/// <c>--root</c> finds the sandbox's programs, not the host's.
/// </summary>
internal sealed class SandboxExecutableProbe : IExecutableProbe, IDisposable
{
    private const int X_OK = 1;
    private const uint S_IFMT = 0xf000;
    private const uint S_IFREG = 0x8000;

    private readonly SandboxRoot _root;

    private SandboxExecutableProbe(SandboxRoot root) => _root = root;

    /// <summary>The root's canonical path on the host.</summary>
    public string RootHostPath => _root.HostPath;

    /// <summary>Opens the host directory <paramref name="root"/> as the sandbox to look in.</summary>
    /// <returns>The probe, or why the directory cannot be opened.</returns>
    public static (SandboxExecutableProbe? Probe, Errno? Error) Create(string root)
    {
        (SandboxRoot? sandbox, Errno? error) = SandboxRoot.Create(root, readOnly: true);
        return error is not null ? (null, error) : (new SandboxExecutableProbe(sandbox!), null);
    }

    /// <inheritdoc/>
    public ProbeResult Probe(string path)
    {
        (SafeFileHandle? fd, Errno? error) = _root.Open(path, OpenFlags.O_PATH, 0);
        if (error is not null)
        {
            return ProbeResult.Missing;
        }
        using (fd)
        {
            Span<byte> stat = stackalloc byte[Libc.StatSize];
            if (Libc.FstatEmptyPath(fd!, stat) is not null
                || (BitConverter.ToUInt32(stat[LinuxStat.ModeOffset..]) & S_IFMT) != S_IFREG)
            {
                return ProbeResult.Missing;
            }
            return Libc.FaccessEmptyPath(fd!, X_OK, Libc.AT_EACCESS) is null ? ProbeResult.Executable : ProbeResult.NotExecutable;
        }
    }

    /// <summary>Closes the root.</summary>
    public void Dispose() => _root.Dispose();
}
