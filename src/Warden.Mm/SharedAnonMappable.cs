using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;

namespace Warden.Mm;

/// <summary>
/// The memory behind a shared anonymous mapping (mmap MAP_SHARED|MAP_ANONYMOUS): a fixed-size range
/// of the memory file that every mapping of it, and every fork, shares. Accesses past its size
/// (after mremap grew a mapping of it) are bus errors, as on Linux.
/// </summary>
/// <remarks>Thread-safe. Its identity is shown as <c>/dev/zero (deleted)</c> in <c>/proc/[pid]/maps</c>.</remarks>
public sealed class SharedAnonMappable : IMappable, IMappingIdentity
{
    private static long s_nextInode = 1;
    private static readonly BusError s_beyondEnd = new(Errno.EFAULT);

    private readonly IMemory _memory;
    private readonly MappingSet _mappings = new();
    private readonly object _lock = new();
    private readonly FileRange _range;
    private int _refs = 1;

    private SharedAnonMappable(IMemory memory, FileRange range)
    {
        _memory = memory;
        _range = range;
        InodeID = (ulong)Interlocked.Increment(ref s_nextInode);
    }

    /// <summary>Allocates <paramref name="length"/> bytes (page-aligned, non-zero) of zeroed memory; the caller holds the one reference.</summary>
    /// <returns>The mappable, or ENOMEM when the memory file cannot supply the range.</returns>
    /// <exception cref="ArgumentException"><paramref name="length"/> is zero or not page-aligned.</exception>
    public static (SharedAnonMappable? Mappable, Error? Error) Create(IMemory memory, ulong length)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (length == 0 || !Arch.IsPageAligned(length))
        {
            ThrowHelper.ThrowArgument(nameof(length), "A shared anonymous mapping needs a non-zero page-aligned length; got {0}.", length);
        }
        (FileRange fr, Error? error) = memory.Allocate(length, MemoryKind.Tmpfs);
        return error is not null ? (null, Errno.ENOMEM) : (new SharedAnonMappable(memory, fr), null);
    }

    /// <summary>The size of the memory in bytes.</summary>
    public ulong Length => _range.Length;

    /// <inheritdoc/>
    public ulong DeviceID => 1;

    /// <inheritdoc/>
    public ulong InodeID { get; }

    /// <inheritdoc/>
    public void IncRef() => Interlocked.Increment(ref _refs);

    /// <inheritdoc/>
    public void DecRef(IContext ctx)
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            _memory.DecRef(_range);
        }
    }

    /// <inheritdoc/>
    public string MappedName(IContext ctx) => "/dev/zero (deleted)";

    /// <inheritdoc/>
    public Error? Msync(IContext ctx, MappableRange mr) => null;

    /// <inheritdoc/>
    public Error? AddMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_lock)
        {
            _mappings.AddMapping(ms, ar, offset, writable);
        }
        return null;
    }

    /// <inheritdoc/>
    public void RemoveMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_lock)
        {
            _mappings.RemoveMapping(ms, ar, offset, writable);
        }
    }

    /// <inheritdoc/>
    public Error? CopyMapping(IContext ctx, IMappingSpace ms, AddrRange srcAR, AddrRange dstAR, ulong offset, bool writable) =>
        AddMapping(ctx, ms, dstAR, offset, writable);

    /// <inheritdoc/>
    public (Translation[] Translations, Error? Error) Translate(IContext ctx, MappableRange required, MappableRange optional, AccessType at)
    {
        ulong size = _range.Length;
        if (required.Start >= size)
        {
            return ([], s_beyondEnd);
        }
        ulong start = optional.Start;
        ulong end = Math.Min(optional.End, size);
        var source = new MappableRange(start, end);
        var translation = new Translation(source, _memory, _range.Start + start, AccessType.AnyAccess);
        return ([translation], required.End > size ? s_beyondEnd : null);
    }

    /// <inheritdoc/>
    public Error? InvalidateUnsavable(IContext ctx) => null;

    /// <summary>
    /// Zeroes [offset, offset + length) for every mapping (MADV_REMOVE): mappers forget their pmas
    /// and the pages are released.
    /// </summary>
    public Error? Decommit(ulong offset, ulong length)
    {
        ulong end = Math.Min(offset + length, _range.Length);
        if (offset >= end)
        {
            return null;
        }
        lock (_lock)
        {
            _mappings.Invalidate(new MappableRange(offset, end), new InvalidateOpts { InvalidatePrivate = false });
        }
        return _memory.Decommit(new FileRange(_range.Start + offset, _range.Start + end));
    }
}
