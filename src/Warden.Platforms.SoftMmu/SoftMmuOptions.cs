using System.Numerics;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.Platforms.SoftMmu;

/// <summary>How a <see cref="SoftMmuPlatform"/> is configured. Immutable once built.</summary>
/// <remarks>
/// <see cref="Validate"/> (which the platform's constructor calls) checks the preconditions listed on
/// each property and throws <see cref="ArgumentException"/> naming the one broken.
/// </remarks>
public sealed record SoftMmuOptions
{
    /// <summary>The default <see cref="MinUserAddress"/>: 64 KiB, Linux's usual <c>vm.mmap_min_addr</c>.</summary>
    public const ulong DefaultMinUserAddress = 0x1_0000;

    /// <summary>
    /// The default <see cref="MaxUserAddress"/>: the top of x86-64's lower half less one page (Linux's
    /// <c>TASK_SIZE</c> with 4-level paging, <c>0x7ffffffff000</c>).
    /// </summary>
    public const ulong DefaultMaxUserAddress = Arch.TaskSize;

    /// <summary>
    /// The platform's <see cref="Warden.Platform.IPlatform.MapUnit"/>; the default is the huge page size
    /// (2 MiB). <b>Precondition:</b> 0, or a power-of-two multiple of the page size.
    /// </summary>
    public ulong MapUnit { get; init; } = Arch.HugePageSize;

    /// <summary>
    /// The lowest mappable address. <b>Precondition:</b> page-aligned and below <see cref="MaxUserAddress"/>.
    /// </summary>
    public Addr MinUserAddress { get; init; } = new(DefaultMinUserAddress);

    /// <summary>
    /// The end of the mappable addresses: every mapping lies in <c>[MinUserAddress, MaxUserAddress)</c>.
    /// <b>Precondition:</b> page-aligned (so it is at most 2^64 - 4096 and an access never wraps).
    /// </summary>
    public Addr MaxUserAddress { get; init; } = new(DefaultMaxUserAddress);

    /// <summary>
    /// Whether address spaces serve <see cref="Warden.Platform.IAddressSpaceIO"/> (default <c>true</c>).
    /// When <c>false</c> those methods return <see cref="Warden.Platform.PlatformErrors.AddressSpaceIOUnavailable"/>,
    /// which lets a memory manager's other I/O path be tested.
    /// </summary>
    public bool SupportsAddressSpaceIO { get; init; } = true;

    /// <summary>
    /// The platform's <see cref="Warden.Platform.IPlatform.CooperativelySchedulesAddressSpace"/>
    /// (default <c>true</c>: a memory manager releases its address space whenever no thread needs it,
    /// which exercises its re-mapping path).
    /// </summary>
    public bool CooperativelySchedulesAddressSpace { get; init; } = true;

    /// <summary>
    /// Makes the CPU for each context from <see cref="SoftMmuPlatform.NewContext()"/>; <c>null</c> (the
    /// default) if the embedder passes a CPU to <see cref="SoftMmuPlatform.NewContext(ISoftMmuCpu)"/> instead.
    /// </summary>
    public Func<ISoftMmuCpu>? CpuFactory { get; init; }

    /// <summary>Checks the preconditions on every property.</summary>
    /// <exception cref="ArgumentException">One is broken; the message says which.</exception>
    public void Validate()
    {
        if (MapUnit != 0 && (!Arch.IsPageAligned(MapUnit) || !BitOperations.IsPow2(MapUnit)))
        {
            ThrowHelper.ThrowArgument(nameof(MapUnit), "MapUnit must be 0 or a power-of-two multiple of the page size, not 0x{0:x}.", MapUnit);
        }
        if (!MinUserAddress.IsPageAligned)
        {
            ThrowHelper.ThrowArgument(nameof(MinUserAddress), "MinUserAddress must be page-aligned, not {0}.", MinUserAddress);
        }
        if (!MaxUserAddress.IsPageAligned)
        {
            ThrowHelper.ThrowArgument(nameof(MaxUserAddress), "MaxUserAddress must be page-aligned, not {0}.", MaxUserAddress);
        }
        if (MinUserAddress >= MaxUserAddress)
        {
            ThrowHelper.ThrowArgument(nameof(MinUserAddress), "MinUserAddress ({0}) must be below MaxUserAddress ({1}).", MinUserAddress, MaxUserAddress);
        }
    }
}
