namespace Warden.MemMap;

/// <summary>What creating a mapping does at once to the platform's address space (<see cref="MMapOpts.PlatformEffect"/>).</summary>
public enum MMapPlatformEffect : byte
{
    /// <summary>Nothing in particular: pages are mapped as they fault.</summary>
    Default = 0,

    /// <summary>Map every page of the mapping into the address space now (as <c>MAP_POPULATE</c>).</summary>
    Populate = 1,

    /// <summary>As <see cref="Populate"/>, and also commit host memory to the pages now (<c>MapFile</c> with precommit).</summary>
    Commit = 2,
}
