using System.Runtime.Versioning;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// An address space of the ptrace platform: a stub process whose mappings Warden makes by running
/// <c>mmap</c> and <c>munmap</c> in it.
/// </summary>
/// <remarks>
/// <para>
/// A file is mapped through a descriptor the stub opens once, through
/// <c>/proc/WARDEN_PID/fd/N</c>, on the first mapping of that file (the platform's memory is opened
/// when the address space is made), with the access mode of Warden's own descriptor: the stub never
/// has more access to a file than Warden has. The stub keeps those descriptors until it is released.
/// </para>
/// <para>
/// <see cref="Unmap"/> is deferred while the stub is idle and batched with the next thing the stub
/// runs (it still takes effect before any application code runs again); while a switch is running
/// it takes effect before <see cref="Unmap"/> returns.
/// </para>
/// <para>
/// No <see cref="IAddressSpaceIO"/>: its methods return <see cref="PlatformErrors.AddressSpaceIOUnavailable"/>.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class PtraceAddressSpace : IAddressSpace
{
    private const int AtFdcwd = -100;
    private const int ORdwr = 2;
    private const int OAccmode = 3;
    private const int OCloexec = 0x80000;
    private const int MapShared = 0x01;
    private const int MapFixed = 0x10;
    private const int MapPopulate = 0x8000;

    private static readonly int s_wardenPid = Environment.ProcessId;

    private readonly Lock _lock = new();

    // Guarded by _lock: null once released.
    private StubProcess? _process;

    // Guarded by _lock: the descriptors the stub has open, by file and Warden descriptor.
    private readonly List<(IFile File, int HostFd, int StubFd)> _files = [];

    private PtraceAddressSpace(PtracePlatform platform, StubProcess process)
    {
        Platform = platform;
        _process = process;
        StubPid = process.Pid;
    }

    /// <summary>The platform that made this address space.</summary>
    public PtracePlatform Platform { get; }

    /// <summary>The process id of the stub (for diagnostics and tests); it stays the same after release.</summary>
    public int StubPid { get; }

    /// <summary>Whether the stub is gone (killed from outside, or released).</summary>
    public bool IsDead
    {
        get
        {
            lock (_lock)
            {
                return _process is null || _process.IsDead;
            }
        }
    }

    internal static (PtraceAddressSpace? AddressSpace, Error? Error) Create(PtracePlatform platform)
    {
        (StubProcess? process, Error? error) = StubProcess.Start(platform.Options.LazyFPState, platform.Options.PinTracerThreads, platform.Options.EffectiveSpin);
        if (error is not null)
        {
            return (null, error);
        }
        var space = new PtraceAddressSpace(platform, process!);
        // Open the platform's memory now, so that the first fault does not pay for it.
        (_, error) = space.StubFd(process!, platform.Memory, platform.Memory.FD);
        if (error is not null)
        {
            process!.Release();
            return (null, error);
        }
        return (space, null);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>Runs <c>mmap(addr, length, prot, MAP_SHARED | MAP_FIXED, fd, fr.Start)</c> in the stub
    /// (with <c>MAP_POPULATE</c> if <paramref name="precommit"/>), after any deferred unmaps; an
    /// error from it (such as <c>ENOMEM</c> past the host's map count, or <c>EACCES</c> writing a
    /// read-only file) is returned. <see cref="PtraceErrors.StubDied"/> if the stub is gone.</para>
    /// <para><b>Preconditions</b> (besides the contract's): the range lies within the platform's
    /// <c>MinUserAddress</c> to <c>MaxUserAddress</c>; the address space is not released.</para>
    /// </remarks>
    public Error? MapFile(Addr addr, IFile file, FileRange fr, AccessType at, bool precommit)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!addr.IsPageAligned || !fr.IsPageAligned || fr.Start >= fr.End)
        {
            ThrowHelper.ThrowArgument(nameof(fr), "MapFile needs a page-aligned address and a non-empty page-aligned range, not {0} and {1}.", addr, fr);
        }
        if (!at.Any)
        {
            ThrowHelper.ThrowArgument(nameof(at), "MapFile needs at least one access.");
        }
        ulong length = fr.End - fr.Start;
        CheckUserRange(addr, length);
        StubProcess process = ProcessOrThrow();

        (int hostFd, Error? error) = file.DataFD(fr);
        if (error is not null)
        {
            return error;
        }
        (int stubFd, error) = StubFd(process, file, hostFd);
        if (error is not null)
        {
            return error;
        }
        int flags = MapShared | MapFixed | (precommit ? MapPopulate : 0);
        ReadOnlySpan<SyscallEntry> mmap =
        [
            new SyscallEntry(SyscallEntry.SysMmap, addr.Value, length, (ulong)at.ToProt(), (ulong)flags, (ulong)stubFd, fr.Start),
        ];
        (int completed, long result, Error? injectError) = process.Syscalls(mmap);
        if (injectError is not null)
        {
            return injectError;
        }
        if (completed == 0)
        {
            return Errno.TryFromNumber((int)-result, out Errno? errno) ? errno : Errno.EINVAL;
        }
        return (ulong)result == addr.Value ? null : Errno.EINVAL;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>A stub whose <c>munmap</c> fails is killed (it could otherwise still reach memory Warden
    /// is about to reuse); the next operation on it returns <see cref="PtraceErrors.StubDied"/>.
    /// Nothing happens once the stub is gone.</para>
    /// <para><b>Preconditions</b> (besides the contract's): the range lies within the platform's
    /// <c>MinUserAddress</c> to <c>MaxUserAddress</c>; the address space is not released.</para>
    /// </remarks>
    public void Unmap(Addr addr, ulong length)
    {
        if (!addr.IsPageAligned || length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(addr), "Unmap needs a page-aligned address and a non-zero length, not {0} and 0x{1:x}.", addr, length);
        }
        CheckUserRange(addr, length);
        ProcessOrThrow().Unmap(addr.Value, length);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Kills and reaps the stub: when it returns, no process of this address space is left. Any
    /// context whose floating-point state the stub held gets it back (in its spill buffer). Calling
    /// it again does nothing.
    /// </remarks>
    public void Release()
    {
        StubProcess? process;
        lock (_lock)
        {
            process = _process;
            _process = null;
            _files.Clear();
        }
        if (process is not null)
        {
            process.Release();
            Platform.Forget(this);
        }
    }

    internal StubProcess ProcessOrThrow()
    {
        StubProcess? process = Volatile.Read(ref _process);
        if (process is null)
        {
            ThrowHelper.ThrowObjectDisposed(nameof(PtraceAddressSpace));
        }
        return process;
    }

    private void CheckUserRange(Addr addr, ulong length)
    {
        (Addr end, bool ok) = addr.AddLength(length);
        if (!ok || addr < Platform.MinUserAddress || end > Platform.MaxUserAddress)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(addr), addr,
                "The range of 0x{0:x} bytes must lie between {1} and {2} (the stub lives above).", length, Platform.MinUserAddress, Platform.MaxUserAddress);
        }
    }

    // The stub's descriptor for file, opening it on first use.
    private (int StubFd, Error? Error) StubFd(StubProcess process, IFile file, int hostFd)
    {
        lock (_lock)
        {
            foreach ((IFile f, int host, int stub) in _files)
            {
                if (host == hostFd && ReferenceEquals(f, file))
                {
                    return (stub, null);
                }
            }
            // Reopening through /proc checks the file's permissions, not the descriptor's: ask for
            // no more access than Warden's own descriptor has, so the stub never gets more.
            string path = $"/proc/{s_wardenPid}/fd/{hostFd}";
            (int fd, Error? error) = Open(process, path, AccessModeOf(hostFd));
            if (error is not null)
            {
                return (-1, error);
            }
            _files.Add((file, hostFd, fd));
            return (fd, null);
        }
    }

    // The O_ACCMODE bits of one of Warden's descriptors, from /proc/self/fdinfo (O_RDWR if unknown).
    private static int AccessModeOf(int hostFd)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/self/fdinfo/{hostFd}"))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    return (int)(Convert.ToUInt32(line[6..].Trim(), 8) & OAccmode);
                }
            }
        }
        catch (IOException)
        {
            // The descriptor is gone; the open below will say so.
        }
        return ORdwr;
    }

    private static (int Fd, Error? Error) Open(StubProcess process, string path, int flags)
    {
        ReadOnlySpan<SyscallEntry> openat =
        [
            new SyscallEntry(SyscallEntry.SysOpenat, unchecked((ulong)AtFdcwd), StubLayout.PathAddress, (ulong)(flags | OCloexec)),
        ];
        (int completed, long result, Error? error) = process.Syscalls(openat, path);
        if (error is not null)
        {
            return (-1, error);
        }
        if (completed == 0)
        {
            return (-1, Errno.TryFromNumber((int)-result, out Errno? errno) ? errno : Errno.EINVAL);
        }
        return ((int)result, null);
    }
}
