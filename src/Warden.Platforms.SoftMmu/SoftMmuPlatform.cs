using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// An in-process platform whose address spaces are software page tables
/// (<see cref="SoftMmuAddressSpace"/>) and whose contexts run a CPU the embedder supplies
/// (<see cref="ISoftMmuCpu"/>): what an emulator builds on, and what memory-manager tests run against.
/// </summary>
/// <remarks>
/// It has no limit on address spaces (<see cref="NewAddressSpace"/> never asks to retry), does not detect
/// CPU preemption, and takes its <see cref="MapUnit"/>, user address range and the other switches from
/// <see cref="SoftMmuOptions"/>. Thread-safe: every member may be called from any thread.
/// </remarks>
public sealed class SoftMmuPlatform : IPlatform
{
    private readonly Func<ISoftMmuCpu>? _cpuFactory;

    /// <summary>Creates a platform whose address spaces map <paramref name="memory"/> (and any other <c>IFile</c>).</summary>
    /// <param name="memory">The memory application pages come from; the platform does not own or destroy it.</param>
    /// <param name="options">The configuration; <c>null</c> for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> breaks a precondition of <see cref="SoftMmuOptions"/>.</exception>
    /// <example>
    /// A platform over a memory file, a memory manager on it, and a context running the embedder's
    /// CPU (an <see cref="ISoftMmuCpu"/>); <c>samples/EmulatorEmbedding</c> is the whole program.
    /// <code language="csharp">
    /// (MemoryFile? memory, Error? error) = MemoryFile.Create();
    /// var platform = new SoftMmuPlatform(memory!);
    /// var mm = new MemoryManager(platform);
    /// mm.Activate(Context.Background);
    /// SoftMmuContext thread = platform.NewContext(new MyCpu());
    /// var arch = new ArchContext();
    /// (AccessType at, Error? stop) = thread.Switch(mm.AddressSpace!, arch, 0, out SignalInfo signal);
    /// // stop is null for a system call; for ContextSignal with SIGSEGV, serve the fault:
    /// // mm.HandleUserFault(Context.Background, new Addr(signal.Addr), at, default);
    /// </code>
    /// </example>
    public SoftMmuPlatform(IMemory memory, SoftMmuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        options ??= new SoftMmuOptions();
        options.Validate();
        Memory = memory;
        Options = options;
        _cpuFactory = options.CpuFactory;
    }

    /// <summary>The configuration the platform was made with.</summary>
    public SoftMmuOptions Options { get; }

    /// <inheritdoc/>
    public IMemory Memory { get; }

    /// <inheritdoc/>
    public bool SupportsAddressSpaceIO => Options.SupportsAddressSpaceIO;

    /// <inheritdoc/>
    public bool CooperativelySchedulesAddressSpace => Options.CooperativelySchedulesAddressSpace;

    /// <inheritdoc/>
    public ulong MapUnit => Options.MapUnit;

    /// <inheritdoc/>
    public Addr MinUserAddress => Options.MinUserAddress;

    /// <inheritdoc/>
    public Addr MaxUserAddress => Options.MaxUserAddress;

    /// <inheritdoc/>
    /// <remarks>Always returns a new, empty <see cref="SoftMmuAddressSpace"/>; <paramref name="mappingsID"/> is ignored (nothing is reused).</remarks>
    public (IAddressSpace? AddressSpace, Task? RetryAfter, Error? Error) NewAddressSpace(object? mappingsID) =>
        (NewSoftMmuAddressSpace(), null, null);

    /// <summary>Makes a new, empty address space (what <see cref="NewAddressSpace"/> returns, typed).</summary>
    public SoftMmuAddressSpace NewSoftMmuAddressSpace() => new(this);

    /// <inheritdoc/>
    /// <remarks>
    /// The context runs a CPU from <see cref="SoftMmuOptions.CpuFactory"/>. <b>Precondition:</b> the options
    /// have a <see cref="SoftMmuOptions.CpuFactory"/> (else <see cref="InvalidOperationException"/>: failing
    /// here, rather than at the first <c>Switch</c>, points at the misconfiguration) and it returns a CPU.
    /// </remarks>
    public IPlatformContext NewContext()
    {
        if (_cpuFactory is null)
        {
            ThrowHelper.ThrowInvalidOperation(
                "SoftMmuPlatform.NewContext() needs SoftMmuOptions.CpuFactory; configure one, or call NewContext(ISoftMmuCpu).");
        }
        ISoftMmuCpu? cpu = _cpuFactory();
        if (cpu is null)
        {
            ThrowHelper.ThrowInvalidOperation("SoftMmuOptions.CpuFactory returned null.");
        }
        return new SoftMmuContext(this, cpu);
    }

    /// <summary>Makes a new execution context that runs <paramref name="cpu"/>.</summary>
    /// <remarks><b>Precondition:</b> <paramref name="cpu"/> is used by no other context.</remarks>
    public SoftMmuContext NewContext(ISoftMmuCpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        return new SoftMmuContext(this, cpu);
    }
}
