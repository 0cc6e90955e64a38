using Warden.Contexts;
using Warden.Errors;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>
/// An open file that has no mmap (a pipe, a terminal, a directory): mmap(2) of it gets as far as
/// Linux's checks of the file's access mode, and then says ENODEV.
/// </summary>
/// <param name="readable">Whether the file was opened for reading.</param>
/// <param name="writable">Whether the file was opened for writing.</param>
/// <param name="maxMapSize">See <see cref="IMmapSource.MaxMapSize"/>: 2^64 - 1 for pipes and most files without mmap.</param>
/// <param name="noExec">See <see cref="IMmapSource.NoExec"/>: pipes' and sockets' filesystems are noexec.</param>
public sealed class UnmappableMmapSource(bool readable, bool writable, ulong maxMapSize = ulong.MaxValue, bool noExec = true) : IMmapSource
{
    /// <inheritdoc/>
    public bool Readable { get; } = readable;

    /// <inheritdoc/>
    public bool Writable { get; } = writable;

    /// <inheritdoc/>
    public ulong MaxMapSize { get; } = maxMapSize;

    /// <inheritdoc/>
    public bool NoExec { get; } = noExec;

    /// <summary>Always ENODEV: the file cannot be mapped.</summary>
    public Error? ConfigureMMap(IContext ctx, ref MMapOpts opts) => Errno.ENODEV;
}
