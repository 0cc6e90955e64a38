namespace Warden.MemMap;

/// <summary>
/// All the mappings of one range of a mappable: the value stored for each segment of a
/// <see cref="MappingSet"/>. A set, so that removing one mapping is O(1).
/// </summary>
public sealed class MappingsOfRange : HashSet<MappingOfRange>
{
    /// <summary>Creates an empty set.</summary>
    public MappingsOfRange()
    {
    }

    /// <summary>Creates an empty set with room for <paramref name="capacity"/> mappings.</summary>
    public MappingsOfRange(int capacity)
        : base(capacity)
    {
    }
}
