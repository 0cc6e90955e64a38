namespace Warden.MemMap;

/// <summary>How a mapping is memory-locked.</summary>
/// <remarks>
/// The order of the values matters: a larger value is a weaker lock, and the memory manager
/// combines modes by comparing them. <see cref="None"/> must stay the default (zero).
/// </remarks>
public enum MLockMode
{
    /// <summary>Not locked.</summary>
    None = 0,

    /// <summary>Locked, and made resident as soon as possible (Linux's <c>VM_LOCKED</c>, as by <c>mlock</c>).</summary>
    Eager = 1,

    /// <summary>Locked once resident, e.g. after a fault (Linux's <c>VM_LOCKED | VM_LOCKONFAULT</c>, as by <c>mlock2(MLOCK_ONFAULT)</c>).</summary>
    Lazy = 2,
}
