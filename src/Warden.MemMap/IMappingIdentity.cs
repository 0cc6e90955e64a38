using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.MemMap;

/// <summary>
/// Keeps an <see cref="IMappable"/> alive and describes it in <c>/proc/[pid]/maps</c> (gVisor's
/// <c>memmap.MappingIdentity</c>). Several identities (open files) may stand for one mappable (an inode).
/// </summary>
public interface IMappingIdentity
{
    /// <summary>Adds a reference.</summary>
    void IncRef();

    /// <summary>Drops a reference.</summary>
    void DecRef(IContext ctx);

    /// <summary>The name shown in <c>/proc/[pid]/maps</c> (e.g. the file's path).</summary>
    string MappedName(IContext ctx);

    /// <summary>The device number shown in <c>/proc/[pid]/maps</c>.</summary>
    ulong DeviceID { get; }

    /// <summary>The inode number shown in <c>/proc/[pid]/maps</c>.</summary>
    ulong InodeID { get; }

    /// <summary>Writes back the data at <paramref name="mr"/>, as <c>fdatasync</c> does for that range.</summary>
    Error? Msync(IContext ctx, MappableRange mr);
}
