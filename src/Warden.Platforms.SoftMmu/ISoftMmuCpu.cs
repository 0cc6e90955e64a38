using Warden.Platform;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// The CPU a <see cref="SoftMmuContext"/> runs: supplied by the embedder (an emulator, or a scripted
/// CPU in tests), it executes application code against a <see cref="SoftMmuAddressSpace"/> until the
/// code makes a system call, faults, gets a signal or is interrupted.
/// </summary>
/// <remarks>
/// <para>
/// A CPU reaches memory through the address space's <see cref="IAddressSpaceIO"/> methods (or, if the
/// platform does not support them, through <see cref="SoftMmuAddressSpace.Lookup"/> and the file's
/// <c>MapInternal</c>); a <see cref="SegmentationFault"/> from them becomes
/// <see cref="SoftMmuExit.Fault"/>.
/// </para>
/// <para>
/// <b>Thread rules:</b> each context has its own CPU, and calls <see cref="Run"/> on one thread at a
/// time. The token may be cancelled from another thread at any moment.
/// </para>
/// </remarks>
public interface ISoftMmuCpu
{
    /// <summary>Runs the thread whose state is <paramref name="context"/> in <paramref name="addressSpace"/> until it stops.</summary>
    /// <param name="addressSpace">The address space to run in (never released during the call, unless its owner breaks the contract).</param>
    /// <param name="context">The thread's registers: read on entry, updated in place (for a system call: number and
    /// arguments in the registers, as the <c>syscall</c> instruction leaves them).</param>
    /// <param name="interrupt">Cancelled when <see cref="SoftMmuContext.Interrupt"/> is called: the CPU must then
    /// return <see cref="SoftMmuExit.Interrupted"/> promptly, at an instruction boundary.</param>
    /// <returns>Why the thread stopped; never <c>default</c>.</returns>
    SoftMmuExit Run(SoftMmuAddressSpace addressSpace, ArchContext context, CancellationToken interrupt);
}
