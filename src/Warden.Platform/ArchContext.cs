namespace Warden.Platform;

/// <summary>
/// The CPU state Warden keeps for one application thread and hands to
/// <see cref="IPlatformContext.Switch"/>: the general-purpose registers and the floating-point state.
/// </summary>
/// <remarks>Not thread-safe: it belongs to one thread, and a platform uses it only during <c>Switch</c>.</remarks>
public sealed class ArchContext
{
    private PtraceRegs _registers;

    /// <summary>Creates a context with zeroed registers and an initial floating-point state of the host's size.</summary>
    public ArchContext()
        : this(new FPState())
    {
    }

    /// <summary>Creates a context with zeroed registers and the given floating-point state (which it then owns).</summary>
    public ArchContext(FPState fpState)
    {
        ArgumentNullException.ThrowIfNull(fpState);
        FPState = fpState;
    }

    /// <summary>The general-purpose registers, by reference, so they can be read and changed in place.</summary>
    public ref PtraceRegs Registers => ref _registers;

    /// <summary>The floating-point, SSE and AVX state.</summary>
    public FPState FPState { get; }

    /// <summary>Returns an independent copy: the same registers and a copy of the floating-point state.</summary>
    public ArchContext Clone()
    {
        var copy = new ArchContext(FPState.Clone());
        copy._registers = _registers;
        return copy;
    }
}
