namespace Warden.Platforms.SoftMmu;

/// <summary>Why an <see cref="ISoftMmuCpu"/> stopped running.</summary>
public enum SoftMmuExitKind
{
    /// <summary>Not an exit: the value of <c>default(SoftMmuExit)</c>, which a CPU must never return.</summary>
    None,

    /// <summary>The thread made a system call; its number and arguments are in the registers.</summary>
    Syscall,

    /// <summary>A memory access faulted (an unmapped page, or one whose permissions forbid the access).</summary>
    Fault,

    /// <summary>Some other synchronous signal stopped the thread (an illegal instruction, a breakpoint, ...).</summary>
    Signal,

    /// <summary>The run was interrupted (the interrupt token was cancelled), or stopped for no reason the thread made.</summary>
    Interrupted,
}
