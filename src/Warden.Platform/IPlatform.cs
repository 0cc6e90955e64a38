using Warden.Errors;
using Warden.HostArch;

namespace Warden.Platform;

/// <summary>
/// A way of running application code: it makes execution contexts (<see cref="IPlatformContext"/>),
/// address spaces for them to run in (<see cref="IAddressSpace"/>), and owns the memory those
/// address spaces map (<see cref="Memory"/>).
/// </summary>
/// <remarks>
/// A platform that cannot tell when a CPU ran another context (most cannot) need not implement
/// <see cref="DetectsCPUPreemption"/> or <see cref="PreemptAllCPUs"/>: the defaults say it does not
/// detect preemption and reject <see cref="PreemptAllCPUs"/>.
/// </remarks>
public interface IPlatform
{
    /// <summary>
    /// Whether the address spaces this platform makes implement the <see cref="IAddressSpaceIO"/>
    /// methods. Constant for the platform's lifetime.
    /// </summary>
    /// <remarks>
    /// When <c>false</c>, those methods return <see cref="PlatformErrors.AddressSpaceIOUnavailable"/>
    /// and the memory manager must reach application memory some other way (through
    /// <c>IFile.MapInternal</c>).
    /// </remarks>
    bool SupportsAddressSpaceIO { get; }

    /// <summary>
    /// Whether the platform has only a few address spaces to go round, so that a memory manager
    /// should <see cref="IAddressSpace.Release"/> its address space whenever no thread needs it to be
    /// active. Constant for the platform's lifetime.
    /// </summary>
    bool CooperativelySchedulesAddressSpace { get; }

    /// <summary>
    /// Whether the contexts this platform makes reliably return
    /// <see cref="PlatformErrors.ContextCPUPreempted"/> from <see cref="IPlatformContext.Switch"/>
    /// when the CPU may have run something else. The default is <c>false</c>.
    /// </summary>
    bool DetectsCPUPreemption => false;

    /// <summary>
    /// The alignment of optional mappings into this platform's address spaces: the larger it is,
    /// the cheaper each page of <see cref="IAddressSpace.MapFile"/>.
    /// </summary>
    /// <remarks>
    /// <b>Postconditions:</b> either 0, meaning that the cost of mapping does not depend on how many
    /// pages are mapped, or a power-of-two multiple of <see cref="Arch.PageSize"/>.
    /// </remarks>
    ulong MapUnit { get; }

    /// <summary>The lowest address an application may map on this platform.</summary>
    Addr MinUserAddress { get; }

    /// <summary>The highest address an application may map on this platform.</summary>
    Addr MaxUserAddress { get; }

    /// <summary>Makes a new address space.</summary>
    /// <param name="mappingsID">
    /// <c>null</c>, or an object identifying a set of mappings. If not <c>null</c>, the platform may
    /// assume that every call with the same identifier stands for the same (changing) set of
    /// mappings, and that this set has not changed since <see cref="IAddressSpace.Release"/> was last
    /// called on an address space made with the same identifier; it may then reuse what it
    /// kept from that address space.
    /// </param>
    /// <returns>
    /// One of: the new address space (<c>RetryAfter</c> and <c>Error</c> <c>null</c>); no address
    /// space yet and a task <c>RetryAfter</c> that completes when the caller should call again (the
    /// platform has none free; in general only when <see cref="CooperativelySchedulesAddressSpace"/>
    /// is <c>false</c>); or an error.
    /// </returns>
    (IAddressSpace? AddressSpace, Task? RetryAfter, Error? Error) NewAddressSpace(object? mappingsID);

    /// <summary>Makes a new execution context, for one application thread.</summary>
    IPlatformContext NewContext();

    /// <summary>The memory from which this platform's address spaces are populated.</summary>
    IMemory Memory { get; }

    /// <summary>
    /// Makes every <see cref="IPlatformContext.Switch"/> running now, and the next call to it on every
    /// context, return <see cref="PlatformErrors.ContextCPUPreempted"/>.
    /// </summary>
    /// <returns>An error if the preemption could not be requested.</returns>
    /// <remarks>
    /// <b>Preconditions:</b> <see cref="DetectsCPUPreemption"/> is <c>true</c>. The default
    /// implementation, for platforms that do not detect preemption, throws
    /// <see cref="NotSupportedException"/>.
    /// </remarks>
    Error? PreemptAllCPUs()
    {
        ThrowHelper.ThrowNotSupported("This platform does not detect CPU preemption, so it cannot preempt all CPUs.");
        return null;
    }
}
