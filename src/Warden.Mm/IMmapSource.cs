using Warden.Contexts;
using Warden.Errors;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>
/// An open file that mmap(2) can map (what an fd refers to): says how it may be mapped and fills in
/// the mappable. The kernel layer implements it for its file descriptions.
/// </summary>
public interface IMmapSource
{
    /// <summary>Whether the file was opened for reading (mapping needs it: EACCES otherwise).</summary>
    bool Readable { get; }

    /// <summary>Whether the file was opened for writing (a shared writable mapping needs it).</summary>
    bool Writable { get; }

    /// <summary>
    /// Sets <see cref="MMapOpts.Mappable"/> and <see cref="MMapOpts.MappingIdentity"/> (and may
    /// restrict <see cref="MMapOpts.MaxPerms"/>) for a mapping of this file; ENODEV if it cannot be
    /// mapped.
    /// </summary>
    Error? ConfigureMMap(IContext ctx, ref MMapOpts opts);
}
