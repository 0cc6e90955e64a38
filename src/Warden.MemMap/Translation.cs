using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>One piece of a <see cref="IMappable.Translate"/> result: where a range of the mappable lives in a file.</summary>
/// <param name="Source">The translated range of the mappable.</param>
/// <param name="File">The file holding it.</param>
/// <param name="Offset">The offset in <paramref name="File"/> at which <paramref name="Source"/> begins.</param>
/// <param name="Perms">The accesses for which mapping this translation (into an address space or into Warden) is allowed.</param>
public readonly record struct Translation(MappableRange Source, IFile File, ulong Offset, AccessType Perms)
{
    /// <summary>The file range the translation covers: <c>[Offset, Offset + Source.Length)</c>.</summary>
    public FileRange FileRange() => new(Offset, Offset + Source.Length);

    /// <inheritdoc/>
    public override string ToString() => $"Translation {{Source: {Source}, File: {File}, Offset: 0x{Offset:x}, Perms: {Perms}}}";
}
