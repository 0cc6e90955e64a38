namespace Warden.Kernel.Tasks;

/// <summary>Why <see cref="KernelTask.Block"/> returned.</summary>
internal enum WakeReason
{
    /// <summary>Someone woke the task: it re-checks what it waits for.</summary>
    Woken,

    /// <summary>The deadline passed.</summary>
    TimedOut,

    /// <summary>A signal the task does not block is pending, or the process is being killed or stopped.</summary>
    Interrupted,
}
