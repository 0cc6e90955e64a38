using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;

namespace Warden.Mm;

/// <summary>
/// The memory behind a shared anonymous mapping (mmap MAP_SHARED|MAP_ANONYMOUS): zero-filled memory
/// of a fixed size that every mapping of it, and every fork, shares. Accesses past its size (after
/// mremap grew a mapping of it) are bus errors, as on Linux.
/// </summary>
/// <remarks>
/// Thread-safe. The memory file is drawn on a chunk at a time, when a chunk is first translated, so
/// that a huge MAP_NORESERVE mapping costs only what is touched, as on Linux. Its identity is shown
/// as <c>/dev/zero (deleted)</c> in <c>/proc/[pid]/maps</c>.
/// </remarks>
public sealed class SharedAnonMappable : IMappable, IMappingIdentity
{
    /// <summary>How much of the memory file one allocation takes (a huge page).</summary>
    private const ulong ChunkSize = 2UL << 20;

    private static long s_nextInode = 1;
    private static readonly BusError s_beyondEnd = new(Errno.EFAULT);

    private readonly IMemory _memory;
    private readonly MappingSet _mappings = new();
    private readonly object _lock = new();
    // Guards _mappings; held while mappings are invalidated (which takes a memory manager's active
    // lock), so never taken under _lock, which translation takes under that active lock.
    private readonly object _mappingsLock = new();
    private readonly ulong _length;
    // Chunk index to its range of the memory file; guarded by _lock.
    private readonly Dictionary<ulong, FileRange> _chunks = [];
    private int _refs = 1;

    private SharedAnonMappable(IMemory memory, ulong length)
    {
        _memory = memory;
        _length = length;
        InodeID = (ulong)Interlocked.Increment(ref s_nextInode);
    }

    /// <summary>Creates <paramref name="length"/> bytes (page-aligned, non-zero) of zeroed memory; the caller holds the one reference.</summary>
    /// <returns>The mappable; no memory is drawn from <paramref name="memory"/> until it is translated.</returns>
    /// <exception cref="ArgumentException"><paramref name="length"/> is zero or not page-aligned.</exception>
    public static (SharedAnonMappable? Mappable, Error? Error) Create(IMemory memory, ulong length)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (length == 0 || !Arch.IsPageAligned(length))
        {
            ThrowHelper.ThrowArgument(nameof(length), "A shared anonymous mapping needs a non-zero page-aligned length; got {0}.", length);
        }
        return (new SharedAnonMappable(memory, length), null);
    }

    /// <summary>The size of the memory in bytes.</summary>
    public ulong Length => _length;

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
            lock (_lock)
            {
                foreach (FileRange chunk in _chunks.Values)
                {
                    _memory.DecRef(chunk);
                }
                _chunks.Clear();
            }
        }
    }

    /// <inheritdoc/>
    public string MappedName(IContext ctx) => "/dev/zero (deleted)";

    /// <inheritdoc/>
    public Error? Msync(IContext ctx, MappableRange mr) => null;

    /// <inheritdoc/>
    public Error? AddMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_mappingsLock)
        {
            _mappings.AddMapping(ms, ar, offset, writable);
        }
        return null;
    }

    /// <inheritdoc/>
    public void RemoveMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_mappingsLock)
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
        if (required.Start >= _length)
        {
            return ([], s_beyondEnd);
        }
        // Every chunk of the required range is drawn now; the optional range adds the chunks that
        // exist already and touch it without a gap.
        ulong requiredEnd = Math.Min(required.End, _length);
        ulong first = required.Start / ChunkSize, last = (requiredEnd - 1) / ChunkSize;
        var translations = new List<Translation>((int)Math.Min(last - first + 1, 64));
        lock (_lock)
        {
            while (first > 0 && first * ChunkSize > optional.Start && _chunks.ContainsKey(first - 1))
            {
                first--;
            }
            ulong optionalEnd = Math.Min(optional.End, _length);
            while ((last + 1) * ChunkSize < optionalEnd && _chunks.ContainsKey(last + 1))
            {
                last++;
            }
            for (ulong index = first; index <= last; index++)
            {
                (FileRange chunk, Error? error) = ChunkLocked(index);
                if (error is not null)
                {
                    // What is drawn already is usable; the fault that needs the rest fails.
                    return ([.. translations], Errno.ENOMEM);
                }
                ulong chunkStart = index * ChunkSize;
                ulong start = Math.Max(chunkStart, optional.Start);
                ulong end = Math.Min(chunkStart + chunk.Length, optionalEnd);
                translations.Add(new Translation(new MappableRange(start, end), _memory, chunk.Start + (start - chunkStart), AccessType.AnyAccess));
            }
        }
        return ([.. translations], required.End > _length ? s_beyondEnd : null);
    }

    // The memory of chunk `index`, drawn from the memory file on first use. _lock held.
    private (FileRange Chunk, Error? Error) ChunkLocked(ulong index)
    {
        if (_chunks.TryGetValue(index, out FileRange chunk))
        {
            return (chunk, null);
        }
        ulong length = Math.Min(ChunkSize, _length - (index * ChunkSize));
        (chunk, Error? error) = _memory.Allocate(length, MemoryKind.Tmpfs);
        if (error is not null)
        {
            return (default, error);
        }
        _chunks.Add(index, chunk);
        return (chunk, null);
    }

    /// <inheritdoc/>
    public Error? InvalidateUnsavable(IContext ctx) => null;

    /// <summary>
    /// Zeroes [offset, offset + length) for every mapping (MADV_REMOVE): mappers forget their pmas
    /// and the pages are released.
    /// </summary>
    public Error? Decommit(ulong offset, ulong length)
    {
        ulong end = Math.Min(offset + length, _length);
        if (offset >= end)
        {
            return null;
        }
        lock (_mappingsLock)
        {
            _mappings.Invalidate(new MappableRange(offset, end), new InvalidateOpts { InvalidatePrivate = false });
        }
        lock (_lock)
        {
            for (ulong index = offset / ChunkSize; index * ChunkSize < end; index++)
            {
                if (_chunks.TryGetValue(index, out FileRange chunk))
                {
                    ulong chunkStart = index * ChunkSize;
                    ulong from = Math.Max(offset, chunkStart) - chunkStart, to = Math.Min(end, chunkStart + chunk.Length) - chunkStart;
                    Error? error = _memory.Decommit(new FileRange(chunk.Start + from, chunk.Start + to));
                    if (error is not null)
                    {
                        return error;
                    }
                }
            }
        }
        return null;
    }
}
