namespace Warden.Platforms.Ptrace;

/// <summary>Choices for a <see cref="PtracePlatform"/>.</summary>
public sealed record PtracePlatformOptions
{
    /// <summary>
    /// Whether a thread's floating-point state stays in its stub between switches (the default)
    /// instead of being copied out after every switch and back in before the next.
    /// </summary>
    /// <remarks>
    /// With it, <c>ArchContext.FPState</c> is not written back after a switch: it is marked as lent,
    /// and <see cref="PtraceContext.PullFPState"/> brings the live state back when the caller needs
    /// to read or change it. Without it, every switch costs a full <c>XSAVE</c>-area copy each way
    /// and <c>ArchContext.FPState</c> is always current.
    /// </remarks>
    public bool LazyFPState { get; init; } = true;

    /// <summary>
    /// Whether a thread that switches into a stub is kept on one CPU while it does (the default), so
    /// that the stub thread, which runs on the same CPU, hands the CPU straight back to it at each stop.
    /// </summary>
    /// <remarks>
    /// The thread's affinity is narrowed to the CPU it is on when it switches, and its own CPU set is
    /// given back at the end of the first switch at least 100 ms later (so the scheduler can still
    /// move it now and then); a thread that stops switching stays bound until its next switch. Turn it
    /// off where callers' affinity must not change; round trips then cost more wherever waking a thread
    /// on another CPU is expensive (in virtual machines in particular: 2 to 3 times more on a 2-vCPU VM).
    /// </remarks>
    public bool PinTracerThreads { get; init; } = true;

    /// <summary>
    /// How long a thread waiting for a hand-off with an address space's operations thread (a caller
    /// for the answer to its mapping request, the operations thread for its next request) spins
    /// before it blocks. <c>null</c> (the default) chooses 20 µs on machines with at least four
    /// processors and no spinning on smaller ones, where a spinning waiter takes the processor the
    /// thread it waits for needs (measured on a 2-vCPU VM: spinning made hand-offs 1.5 to 3 times
    /// slower). Switches involve no hand-off and are not affected.
    /// </summary>
    public TimeSpan? Spin { get; init; }

    /// <summary>
    /// How many address spaces the platform keeps started ahead of need (1 by default; 0 for none).
    /// A stub takes a millisecond or two to start; with a spare, <see cref="PtracePlatform.NewAddressSpace"/>
    /// hands over one started earlier and starts its replacement in the background, so a program that
    /// forks or execs does not wait for it. A spare is a live stub process until the platform is disposed.
    /// </summary>
    public int SpareAddressSpaces { get; init; } = 1;

    /// <summary>The defaults.</summary>
    public static PtracePlatformOptions Default { get; } = new();

    internal TimeSpan EffectiveSpin =>
        Spin ?? (Environment.ProcessorCount >= 4 ? TimeSpan.FromMicroseconds(20) : TimeSpan.Zero);
}
