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
    /// The largest file size a mapping's end may reach (Linux's file_mmap_size_max): mmap of a
    /// range ending past it is EOVERFLOW. Linux's MAX_LFS_FILESIZE (2^63 - 1) for regular files,
    /// block devices and sockets, the default; 2^64 - 1 for other files (pipes, character devices);
    /// 0 for no limit.
    /// </summary>
    ulong MaxMapSize => long.MaxValue;

    /// <summary>
    /// Whether the file lies on a filesystem mounted noexec (Linux's path_noexec: pipes and sockets
    /// do, on their internal filesystems): a mapping of it with PROT_EXEC is EPERM, and no
    /// mapping of it may become executable. Default <see langword="false"/>.
    /// </summary>
    bool NoExec => false;

    /// <summary>
    /// Whether MAP_SHARED_VALIDATE accepts MAP_SYNC for the file (Linux's FOP_MMAP_SYNC, which ext4
    /// and xfs have); without it MAP_SHARED_VALIDATE|MAP_SYNC is EOPNOTSUPP. Default <see langword="false"/>.
    /// </summary>
    bool ValidatesSyncFlag => false;

    /// <summary>
    /// Whether the file's own mmap refuses a MAP_SYNC mapping of any type (EOPNOTSUPP, once the
    /// mapping is otherwise admitted): ext4's and xfs's do for a file that is not DAX; tmpfs's does
    /// not. Default <see langword="false"/>.
    /// </summary>
    bool RefusesSyncMapping => false;

    /// <summary>
    /// Sets <see cref="MMapOpts.Mappable"/> and <see cref="MMapOpts.MappingIdentity"/> (and may
    /// restrict <see cref="MMapOpts.MaxPerms"/>) for a mapping of this file; ENODEV if it cannot be
    /// mapped.
    /// </summary>
    Error? ConfigureMMap(IContext ctx, ref MMapOpts opts);
}
