using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>One mapping of a <see cref="MappableRange"/>: which space maps it, at which addresses, and whether writably.</summary>
/// <param name="MappingSpace">The space that maps the range.</param>
/// <param name="AddrRange">The addresses at which it maps the range.</param>
/// <param name="Writable">Whether the mapping can modify the mappable's data.</param>
public readonly record struct MappingOfRange(IMappingSpace MappingSpace, AddrRange AddrRange, bool Writable)
{
    /// <summary>Formats as <c>space@[0x.., 0x..) (writable)</c>.</summary>
    public override string ToString() => $"{MappingSpace}@{AddrRange}{(Writable ? " (writable)" : "")}";
}
