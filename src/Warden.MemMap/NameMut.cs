namespace Warden.MemMap;

/// <summary>What <c>prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME)</c> may do to a mapping (<see cref="MMapOpts.NameMut"/>).</summary>
public enum NameMut : byte
{
    /// <summary>Naming the mapping fails.</summary>
    Disallowed = 0,

    /// <summary>Naming succeeds, and the mapping is shown as private anonymous memory.</summary>
    Anon = 1,

    /// <summary>Naming succeeds, and the mapping is shown as shared anonymous memory.</summary>
    AnonShmem = 2,
}
