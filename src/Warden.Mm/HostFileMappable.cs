using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.MemMap;
using Warden.Platform;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>
/// A host file as mmap(2) maps it: its pages are read into the memory file on first use (a page
/// cache) and mappings use those copies, so a host file truncated under a mapping can never fault
/// the sentry. Shared writable mappings write back through <see cref="Msync"/> and when the last
/// mapping goes. Pages past the end of the file are bus errors (SIGBUS), as on Linux.
/// </summary>
/// <remarks>
/// Thread-safe. Holds the file handle until its last reference is dropped. Lock order: the memory
/// manager's mapping lock, then this object's lock, then the memory file's lock.
/// </remarks>
public sealed class HostFileMappable : IMappable, IMappingIdentity, IMmapSource
{
    private readonly SafeFileHandle _fd;
    private readonly string _path;
    private readonly IMemory _memory;
    private readonly object _lock = new();
    private readonly MappingSet _mappings = new();
    // Cached pages by page index: where each lives in the memory file, and whether it may differ from the file.
    private readonly Dictionary<ulong, CachedPage> _cache = [];
    private int _writableMappings;
    private int _refs = 1;

    private record struct CachedPage(ulong FileOffset, bool Dirty);

    private HostFileMappable(SafeFileHandle fd, string path, IMemory memory, bool readable, bool writable, ulong device, ulong inode)
    {
        _fd = fd;
        _path = path;
        _memory = memory;
        Readable = readable;
        Writable = writable;
        DeviceID = device;
        InodeID = inode;
    }

    /// <summary>
    /// Wraps an open host file. The handle is owned from now on (disposed with the last reference).
    /// </summary>
    /// <param name="fd">The open file.</param>
    /// <param name="path">The name /proc/[pid]/maps shows.</param>
    /// <param name="memory">Where its pages are cached.</param>
    /// <param name="readable">Whether it was opened for reading.</param>
    /// <param name="writable">Whether it was opened for writing.</param>
    /// <returns>The mappable holding one reference, or fstat's errno.</returns>
    public static (HostFileMappable? Mappable, Error? Error) Create(SafeFileHandle fd, string path, IMemory memory, bool readable, bool writable)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(memory);
        (ulong device, ulong inode, _, Errno? error) = Libc.FstatIdentity(fd);
        if (error is not null)
        {
            return (null, error);
        }
        return (new HostFileMappable(fd, path, memory, readable, writable, device, inode), null);
    }

    /// <inheritdoc/>
    public bool Readable { get; }

    /// <inheritdoc/>
    public bool Writable { get; }

    /// <inheritdoc/>
    public ulong DeviceID { get; }

    /// <inheritdoc/>
    public ulong InodeID { get; }

    /// <inheritdoc/>
    public Error? ConfigureMMap(IContext ctx, ref MMapOpts opts)
    {
        opts.Mappable = this;
        opts.MappingIdentity = this;
        return null;
    }

    /// <inheritdoc/>
    public void IncRef() => Interlocked.Increment(ref _refs);

    /// <inheritdoc/>
    public void DecRef(IContext ctx)
    {
        if (Interlocked.Decrement(ref _refs) != 0)
        {
            return;
        }
        lock (_lock)
        {
            WriteBackLocked(0, ulong.MaxValue);
            foreach (CachedPage page in _cache.Values)
            {
                _memory.DecRef(new FileRange(page.FileOffset, page.FileOffset + Arch.PageSize));
            }
            _cache.Clear();
        }
        _fd.Dispose();
    }

    /// <inheritdoc/>
    public string MappedName(IContext ctx) => _path;

    /// <inheritdoc/>
    public Error? Msync(IContext ctx, MappableRange mr)
    {
        lock (_lock)
        {
            return WriteBackLocked(mr.Start, mr.End);
        }
    }

    /// <inheritdoc/>
    public Error? AddMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_lock)
        {
            _mappings.AddMapping(ms, ar, offset, writable);
            if (writable)
            {
                // Pages translated before may now be written through: treat them all as dirty.
                _writableMappings++;
                foreach (ulong index in _cache.Keys.ToArray())
                {
                    _cache[index] = _cache[index] with { Dirty = true };
                }
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public void RemoveMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_lock)
        {
            _mappings.RemoveMapping(ms, ar, offset, writable);
            if (writable)
            {
                _writableMappings--;
            }
        }
    }

    /// <inheritdoc/>
    public Error? CopyMapping(IContext ctx, IMappingSpace ms, AddrRange srcAR, AddrRange dstAR, ulong offset, bool writable) =>
        AddMapping(ctx, ms, dstAR, offset, writable);

    /// <inheritdoc/>
    public (Translation[] Translations, Error? Error) Translate(IContext ctx, MappableRange required, MappableRange optional, AccessType at)
    {
        (long size, _, Errno? statError) = Libc.Fstat(_fd);
        if (statError is not null)
        {
            return ([], new BusError(statError));
        }
        (ulong limit, _) = Arch.PageRoundUp((ulong)size);
        if (required.Start >= limit)
        {
            return ([], new BusError(Errno.EFAULT));
        }
        ulong end = Math.Min(optional.End, limit);
        var translations = new List<Translation>();
        lock (_lock)
        {
            for (ulong offset = optional.Start; offset < end; offset += Arch.PageSize)
            {
                (CachedPage page, Error? error) = GetPageLocked(offset / Arch.PageSize, (ulong)size);
                if (error is not null)
                {
                    return (translations.ToArray(), offset < required.End ? new BusError(error) : null);
                }
                if (_writableMappings > 0)
                {
                    _cache[offset / Arch.PageSize] = page with { Dirty = true };
                }
                var source = new MappableRange(offset, offset + Arch.PageSize);
                if (translations.Count > 0 && translations[^1] is var last &&
                    last.Source.End == offset && last.Offset + last.Source.Length == page.FileOffset)
                {
                    translations[^1] = last with { Source = new MappableRange(last.Source.Start, source.End) };
                }
                else
                {
                    translations.Add(new Translation(source, _memory, page.FileOffset, AccessType.AnyAccess));
                }
            }
        }
        return (translations.ToArray(), required.End > limit ? new BusError(Errno.EFAULT) : null);
    }

    /// <inheritdoc/>
    public Error? InvalidateUnsavable(IContext ctx) => null;

    // The cached copy of page `index`, read from the file on first use (zero past its end).
    private (CachedPage Page, Error? Error) GetPageLocked(ulong index, ulong size)
    {
        if (_cache.TryGetValue(index, out CachedPage page))
        {
            return (page, null);
        }
        (FileRange fr, Error? error) = _memory.Allocate(Arch.PageSize, MemoryKind.PageCache);
        if (error is not null)
        {
            return (default, error);
        }
        ulong fileOffset = index * Arch.PageSize;
        ulong toRead = Math.Min(Arch.PageSize, size - Math.Min(size, fileOffset));
        if (toRead > 0)
        {
            (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(fr.Start, fr.Start + toRead), AccessType.WriteOnly);
            if (mapError is not null)
            {
                _memory.DecRef(fr);
                return (default, mapError);
            }
            (ulong n, Error? readError) = new HostFileReader(_fd, (long)fileOffset).ReadFullToBlocks(blocks);
            if (readError is not null && n < toRead && readError != WellKnownErrors.EndOfStream)
            {
                _memory.DecRef(fr);
                return (default, readError);
            }
        }
        page = new CachedPage(fr.Start, Dirty: false);
        _cache[index] = page;
        return (page, null);
    }

    // Writes the dirty cached pages of [start, end) back to the file (never past its end).
    private Error? WriteBackLocked(ulong start, ulong end)
    {
        if (_cache.Count == 0)
        {
            return null;
        }
        (long size, _, Errno? statError) = Libc.Fstat(_fd);
        if (statError is not null)
        {
            return statError;
        }
        foreach ((ulong index, CachedPage page) in _cache.ToArray())
        {
            ulong offset = index * Arch.PageSize;
            if (!page.Dirty || offset < Arch.PageRoundDown(start) || offset >= end || offset >= (ulong)size)
            {
                continue;
            }
            ulong length = Math.Min(Arch.PageSize, (ulong)size - offset);
            (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(page.FileOffset, page.FileOffset + length), AccessType.ReadOnly);
            if (mapError is not null)
            {
                return mapError;
            }
            (_, Error? writeError) = new HostFileWriter(_fd, (long)offset).WriteFullFromBlocks(blocks);
            if (writeError is not null)
            {
                return writeError;
            }
            _cache[index] = page with { Dirty = _writableMappings > 0 };
        }
        return null;
    }
}
