namespace Warden.Mm;

/// <summary>
/// The resource limits of the process that owns a memory manager, in bytes (the soft limits of
/// RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK and RLIMIT_STACK). <see cref="Unlimited"/> is RLIM_INFINITY.
/// </summary>
public sealed record ResourceLimits
{
    /// <summary>RLIM_INFINITY.</summary>
    public const ulong Unlimited = ulong.MaxValue;

    /// <summary>Linux's defaults on this kind of machine: only memlock (8 MiB) and stack (8 MiB) are limited.</summary>
    public static ResourceLimits Default { get; } = new();

    /// <summary>RLIMIT_AS: the most virtual memory the address space may map.</summary>
    public ulong AddressSpace { get; init; } = Unlimited;

    /// <summary>RLIMIT_DATA: the most private writable memory (brk heap and data mappings).</summary>
    public ulong Data { get; init; } = Unlimited;

    /// <summary>RLIMIT_MEMLOCK: the most memory mlock may lock without CAP_IPC_LOCK.</summary>
    public ulong MemLock { get; init; } = 8UL << 20;

    /// <summary>RLIMIT_STACK: the most the main stack may grow to.</summary>
    public ulong Stack { get; init; } = 8UL << 20;
}
