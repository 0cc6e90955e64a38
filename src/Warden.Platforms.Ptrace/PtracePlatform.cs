using System.Globalization;
using System.Runtime.Versioning;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// Runs unmodified x86-64 Linux code in host processes whose every mapping Warden made, as gVisor's
/// ptrace platform does: one stub process per address space, system calls stopped before they run
/// (<c>PTRACE_SYSEMU</c>), faults reported as signals with the access decoded from the instruction.
/// </summary>
/// <remarks>
/// <para>
/// The stub is a program Warden generates (<see cref="StubImage"/>): it empties its address space
/// down to one page at the top of the user range, puts itself under a seccomp filter, and waits for
/// its tracer. Application memory is mapped into it from <see cref="Memory"/> (or any other
/// <see cref="MemMap.IFile"/>) with <c>mmap</c> calls made in the stub.
/// </para>
/// <para>
/// <b>Threads.</b> Each stub has a syscall thread, traced by an operations thread of its own, and
/// one stub thread for each Warden thread that switches into its address space, traced by that
/// Warden thread; the thread model (who traces, who waits, how requests reach the operations
/// thread) is described once, on <see cref="StubProcess"/>.
/// </para>
/// <para>
/// Not supported, as in gVisor's ptrace platform: <see cref="IAddressSpaceIO"/>
/// (<see cref="SupportsAddressSpaceIO"/> is <c>false</c>) and CPU preemption detection.
/// </para>
/// <para>
/// <see cref="Dispose"/> releases every address space still alive, so that no stub outlives the
/// platform. Stubs also die with the thread that spawned them, and so with Warden
/// (<c>PTRACE_O_EXITKILL</c> and <c>PR_SET_PDEATHSIG</c>).
/// </para>
/// <para>Thread-safe. x86-64 Linux only.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed class PtracePlatform : IPlatform, IDisposable
{
    private static readonly Lazy<Error?> s_supported = new(Probe);

    private readonly Lock _lock = new();

    // Guarded by _lock: the address spaces not yet released.
    private readonly HashSet<PtraceAddressSpace> _spaces = [];

    // Guarded by _lock.
    private bool _disposed;

    // Guarded by _lock: stubs started ahead of need (also in _spaces), and the background start
    // under way, if any (at most one at a time).
    private readonly Queue<PtraceAddressSpace> _spares = new();
    private Task? _starting;

    private PtracePlatform(IMemory memory, PtracePlatformOptions options)
    {
        Memory = memory;
        Options = options;
        MinUserAddress = new Addr(Math.Max((ulong)Arch.PageSize, ReadMmapMinAddr()));
    }

    /// <summary>The options the platform was made with.</summary>
    public PtracePlatformOptions Options { get; }

    /// <inheritdoc/>
    public IMemory Memory { get; }

    /// <inheritdoc/>
    /// <remarks><c>false</c>: Warden reaches application memory through <see cref="Memory"/>'s internal mappings.</remarks>
    public bool SupportsAddressSpaceIO => false;

    /// <inheritdoc/>
    /// <remarks><c>false</c>: there is no fixed number of stubs.</remarks>
    public bool CooperativelySchedulesAddressSpace => false;

    /// <inheritdoc/>
    /// <remarks>0: a mapping costs one injected system call whatever its size.</remarks>
    public ulong MapUnit => 0;

    /// <inheritdoc/>
    /// <remarks>The host's <c>vm.mmap_min_addr</c> (and at least one page).</remarks>
    public Addr MinUserAddress { get; }

    /// <inheritdoc/>
    /// <remarks>Where the stub's page begins: the last page of the 47-bit user range.</remarks>
    public Addr MaxUserAddress => new(StubLayout.StubPage);

    /// <summary>Makes a platform whose address spaces map <paramref name="memory"/>.</summary>
    /// <returns>The platform, or why the stub program could not be prepared.</returns>
    /// <remarks>
    /// <b>Preconditions:</b> the host is x86-64 Linux; <paramref name="memory"/> outlives the
    /// platform. The platform does not own <paramref name="memory"/>.
    /// </remarks>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    /// <example>
    /// A ptrace platform under a memory manager, running real x86-64 code until its first system
    /// call; <c>samples/SandboxEmbedding</c> is the whole program.
    /// <code language="csharp">
    /// if (PtracePlatform.CheckSupported() is Error unsupported) { /* no ptrace here */ }
    /// (MemoryFile? memory, Error? error) = MemoryFile.Create();
    /// (PtracePlatform? platform, error) = PtracePlatform.Create(memory!);
    /// var mm = new MemoryManager(platform!);
    /// // ... mmap the code through mm (MemorySyscalls.Mmap), copy it in, mprotect it executable ...
    /// mm.Activate(Context.Background);
    /// IPlatformContext thread = platform!.NewContext();
    /// var arch = new ArchContext();
    /// arch.Registers.Rip = codeAddress;
    /// (AccessType at, Error? stop) = thread.Switch(mm.AddressSpace!, arch, -1, out SignalInfo signal);
    /// // stop is null: a system call, its number in arch.Registers.OrigRax.
    /// mm.Dispose();
    /// platform.Dispose();
    /// memory!.Dispose();
    /// </code>
    /// </example>
    public static (PtracePlatform? Platform, Error? Error) Create(IMemory memory, PtracePlatformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            ThrowHelper.ThrowPlatformNotSupported("The ptrace platform runs x86-64 code on x86-64 hosts only.");
        }
        (_, Error? error) = StubExecutable.GetPath();
        if (error is not null)
        {
            return (null, error);
        }
        return (new PtracePlatform(memory, options ?? PtracePlatformOptions.Default), null);
    }

    /// <summary>
    /// Whether this host lets Warden run stubs at all: <c>null</c> if it does, otherwise why not
    /// (typically a <see cref="StubStartError"/> with <see cref="StubStartError.PtraceNotPermitted"/>,
    /// where a seccomp policy or Yama forbid ptrace). Found out once, by starting and killing a stub.
    /// </summary>
    public static Error? CheckSupported() => s_supported.Value;

    /// <inheritdoc/>
    /// <remarks>
    /// Hands over a stub started ahead of need if one is ready (see
    /// <see cref="PtracePlatformOptions.SpareAddressSpaces"/>), else starts a stub process (which
    /// takes a millisecond or two) and opens the platform's memory in it; either way starts the next
    /// spare in the background. Never asks the caller to retry. <paramref name="mappingsID"/> is ignored: every address space
    /// starts empty.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The platform has been disposed.</exception>
    public (IAddressSpace? AddressSpace, Task? RetryAfter, Error? Error) NewAddressSpace(object? mappingsID)
    {
        PtraceAddressSpace? spare = null;
        List<PtraceAddressSpace>? dead = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_spares.Count > 0 && spare is null)
            {
                spare = _spares.Dequeue();
                if (spare.IsDead)
                {
                    // Killed from outside while it waited: it is no use to anyone.
                    (dead ??= []).Add(spare);
                    spare = null;
                }
            }
            StartSpareLocked();
        }
        foreach (PtraceAddressSpace gone in dead ?? [])
        {
            gone.Release();
        }
        if (spare is not null)
        {
            return (spare, null, null);
        }
        (PtraceAddressSpace? space, Error? error) = StartTracked();
        return error is not null ? (null, null, error) : (space, null, null);
    }

    /// <summary>The stub process ids of the spares ready now (for tests).</summary>
    internal int[] SparePids()
    {
        lock (_lock)
        {
            return [.. _spares.Select(space => space.StubPid)];
        }
    }

    // Starts a stub and counts it as the platform's (so that Dispose releases it); throws if the
    // platform was disposed meanwhile (the stub is released first).
    private (PtraceAddressSpace? Space, Error? Error) StartTracked()
    {
        (PtraceAddressSpace? space, Error? error) = PtraceAddressSpace.Create(this);
        if (error is not null)
        {
            return (null, error);
        }
        bool disposed;
        lock (_lock)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _spaces.Add(space!);
            }
        }
        if (disposed)
        {
            space!.Release();
            ThrowHelper.ThrowObjectDisposed(nameof(PtracePlatform));
        }
        return (space, null);
    }

    // Starts one spare in the background if fewer than the options ask for are ready and none is
    // being started. A spare that fails to start is not retried until the next NewAddressSpace.
    private void StartSpareLocked()
    {
        if (_disposed || _starting is not null || _spares.Count >= Options.SpareAddressSpaces)
        {
            return;
        }
        _starting = Task.Run(() =>
        {
            PtraceAddressSpace? space = null;
            try
            {
                (space, _) = StartTracked();
            }
            catch (ObjectDisposedException)
            {
                // Disposed while starting: StartTracked has released it.
            }
            lock (_lock)
            {
                _starting = null;
                if (space is not null)
                {
                    _spares.Enqueue(space);
                    StartSpareLocked();
                }
            }
        });
    }

    /// <inheritdoc/>
    public IPlatformContext NewContext() => new PtraceContext(this);

    /// <summary>Releases every address space not yet released (killing and reaping their stubs).</summary>
    /// <remarks><b>Postconditions:</b> no stub process of this platform is left; <see cref="NewAddressSpace"/> throws.</remarks>
    public void Dispose()
    {
        Task? starting;
        lock (_lock)
        {
            _disposed = true;
            starting = _starting;
        }
        // A spare being started is released by its own start once it sees the platform disposed.
        starting?.Wait();
        PtraceAddressSpace[] spaces;
        lock (_lock)
        {
            _spares.Clear();
            spaces = [.. _spaces];
        }
        foreach (PtraceAddressSpace space in spaces)
        {
            space.Release();
        }
    }

    internal void Forget(PtraceAddressSpace space)
    {
        lock (_lock)
        {
            _spaces.Remove(space);
        }
    }

    private static ulong ReadMmapMinAddr()
    {
        try
        {
            return ulong.Parse(File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            // Linux's default.
            return 0x10000;
        }
    }

    private static Error? Probe()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            return Errno.ENOSYS;
        }
        (_, Error? error) = StubExecutable.GetPath();
        if (error is not null)
        {
            return error;
        }
        (StubProcess? process, error) = StubProcess.Start(lazyFP: true, pinTracers: false, TimeSpan.Zero);
        if (process is not null)
        {
            // A thread of the stub's own, attached by this thread, as every switch needs.
            (_, error) = process.ThreadForCurrent();
            process.Release();
        }
        return error;
    }
}
