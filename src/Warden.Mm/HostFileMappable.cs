using System.Buffers.Binary;
using System.Runtime.CompilerServices;
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
/// mapping goes. Pages past the end of the file are bus errors (SIGBUS), as on Linux. Reads, writes
/// and truncation made through <see cref="Read"/>, <see cref="Write"/> and <see cref="Truncate"/>
/// are coherent with every mapping, as read(2), write(2) and ftruncate(2) are with Linux's page cache.
/// </summary>
/// <remarks>
/// Thread-safe. Holds the file handle until its last reference is dropped. Two locks: one for the
/// set of mappings (held while mappings are invalidated, which takes a memory manager's active
/// lock) and one for the cache (taken by translation, under a memory manager's active lock); the
/// first is never taken under the second. Lock order: the memory manager's mapping lock, the
/// mappings lock, the memory manager's active lock, the cache lock, the memory file's lock.
/// </remarks>
public sealed class HostFileMappable : IMappable, IMappingIdentity, IMmapSource
{
    // The handle it was made with (fstat asks it), and the ones it reads and writes with: the
    // same handle for the access it was opened with, another open's for access gained later
    // (Admit). Set under _lock, read with Volatile.Read; all disposed with the last reference.
    private readonly SafeFileHandle _fd;
    private SafeFileHandle? _reader;
    private SafeFileHandle? _writer;
    private readonly string _path;
    private readonly IMemory _memory;
    private readonly object _lock = new();
    private readonly object _mappingsLock = new();
    // Guarded by _mappingsLock.
    private readonly MappingSet _mappings = new();
    // Cached pages by page index: where each lives in the memory file, and whether it may differ from the file.
    private readonly Dictionary<ulong, CachedPage> _cache = [];
    // Bytes of address space mapping the file writably (shared, may be written). Counted in bytes,
    // not mappings, because a mapping is removed piece by piece when parts of it are unmapped.
    private ulong _writableBytes;
    private int _refs = 1;

    private record struct CachedPage(ulong FileOffset, bool Dirty);

    private HostFileMappable(SafeFileHandle fd, string path, IMemory memory, bool readable, bool writable, ulong device, ulong inode)
    {
        _fd = fd;
        _path = path;
        _memory = memory;
        _reader = readable ? fd : null;
        _writer = writable ? fd : null;
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
        (FileIdentity identity, FileVersion version, Errno? error) = Libc.FstatVersion(fd);
        if (error is not null)
        {
            return (null, error);
        }
        Span<byte> statfs = stackalloc byte[Libc.StatfsSize];
        bool hugeAligned = Libc.Fstatfs(fd, statfs) is null &&
            BinaryPrimitives.ReadInt64LittleEndian(statfs) is Ext2Ext3Ext4Magic or XfsMagic;
        return (new HostFileMappable(fd, path, memory, readable, writable, identity.Device, identity.Inode) { PlacesHugeAligned = hugeAligned, _version = new(version) }, null);
    }

    private const long Ext2Ext3Ext4Magic = 0xEF53, XfsMagic = 0x58465342;

    /// <summary>
    /// Whether Linux places mappings of this file as its filesystem's get_unmapped_area does for ext2
    /// to ext4 and XFS (thp_get_unmapped_area): file offset and address agree modulo the huge page
    /// size when the mapping can hold an aligned huge page of the file.
    /// </summary>
    internal bool PlacesHugeAligned { get; private init; }

    /// <summary>Whether it holds a handle open for reading (since <see cref="Create"/> or an <see cref="Admit"/>).</summary>
    public bool Readable => Volatile.Read(ref _reader) is not null;

    /// <summary>Whether it holds a handle open for writing (since <see cref="Create"/> or an <see cref="Admit"/>).</summary>
    public bool Writable => Volatile.Read(ref _writer) is not null;

    /// <summary>
    /// Gives the mappable the access of another open of the same file, <paramref name="fd"/>: the
    /// handle is kept (and owned) if it adds reading or writing, else disposed at once.
    /// </summary>
    internal void Admit(SafeFileHandle fd, bool readable, bool writable)
    {
        bool kept = false;
        lock (_lock)
        {
            if (readable && _reader is null)
            {
                Volatile.Write(ref _reader, fd);
                kept = true;
            }
            if (writable && _writer is null)
            {
                Volatile.Write(ref _writer, fd);
                kept = true;
            }
        }
        if (!kept)
        {
            fd.Dispose();
        }
    }

    /// <summary>
    /// This file as one open of it maps it, Linux's <c>struct file</c> beside the inode's page cache:
    /// mmap's access checks are the open's (<paramref name="readable"/>, <paramref name="writable"/>),
    /// the pages this mappable's, and the mappings' identity the open's own, so that the vmas of two
    /// opens of the file never merge (Linux merges only vmas of one <c>struct file</c>). A vma's
    /// reference on the identity is a reference on this mappable.
    /// </summary>
    public IMmapSource OpenedAs(bool readable, bool writable) => new OpenedFile(this, readable, writable);

    private sealed class OpenedFile(HostFileMappable file, bool readable, bool writable) : IMmapSource, IMappingIdentity
    {
        public bool Readable => readable;

        public bool Writable => writable;

        public bool ValidatesSyncFlag => file.ValidatesSyncFlag;

        public bool RefusesSyncMapping => file.RefusesSyncMapping;

        public ulong DeviceID => file.DeviceID;

        public ulong InodeID => file.InodeID;

        public Error? ConfigureMMap(IContext ctx, ref MMapOpts opts)
        {
            opts.Mappable = file;
            opts.MappingIdentity = this;
            return null;
        }

        public void IncRef() => file.IncRef();

        public void DecRef(IContext ctx) => file.DecRef(ctx);

        public string MappedName(IContext ctx) => file.MappedName(ctx);

        public Error? Msync(IContext ctx, MappableRange mr) => file.Msync(ctx, mr);
    }

    // The handles reads and writes use; a missing one answers EBADF, as the host would.
    private SafeFileHandle ReadHandle => Volatile.Read(ref _reader) ?? _fd;

    private SafeFileHandle WriteHandle => Volatile.Read(ref _writer) ?? _fd;

    /// <inheritdoc/>
    public ulong DeviceID { get; }

    /// <inheritdoc/>
    public ulong InodeID { get; }

    /// <summary>
    /// <see langword="true"/>: taken to be a file of ext4 or xfs (not DAX), whose mmap knows
    /// MAP_SYNC; a host file on tmpfs would answer otherwise.
    /// </summary>
    public bool ValidatesSyncFlag => true;

    /// <summary><see langword="true"/>: a file that is not DAX cannot be mapped with MAP_SYNC (see <see cref="ValidatesSyncFlag"/>).</summary>
    public bool RefusesSyncMapping => true;

    /// <inheritdoc/>
    public Error? ConfigureMMap(IContext ctx, ref MMapOpts opts)
    {
        opts.Mappable = this;
        opts.MappingIdentity = this;
        return null;
    }

    /// <summary>The name the mappable was made with.</summary>
    internal string Path => _path;

    /// <summary>The file's size and times when it was wrapped or Warden last changed it (what <see cref="HostFileCache"/> reuses it by).</summary>
    internal FileVersion Version => Volatile.Read(ref _version).Value;

    // Replaced whole (readers take no lock) each time Warden itself changes the file, so that a
    // later open still finds this mappable: only a change from outside makes the cache wrap anew.
    private StrongBox<FileVersion> _version = new(default);

    // After a change made through this mappable (or announced to it), under _lock.
    private void NoteOwnChangeLocked()
    {
        (_, FileVersion version, Errno? error) = Libc.FstatVersion(_fd);
        if (error is null)
        {
            Volatile.Write(ref _version, new StrongBox<FileVersion>(version));
        }
    }

    /// <summary>
    /// Before a read(2) or write(2) of [<paramref name="start"/>, <paramref name="end"/>) that goes
    /// to the host file directly, not through <see cref="Read"/> or <see cref="Write"/>: writes the
    /// dirty cached pages there back, so that the host call sees what mappings wrote.
    /// </summary>
    /// <returns><see langword="null"/>, or the write-back's error.</returns>
    public Error? WriteBackForHostIO(ulong start, ulong end)
    {
        lock (_lock)
        {
            return WriteBackLocked(start, end);
        }
    }

    /// <summary>
    /// After a write(2) of [<paramref name="start"/>, <paramref name="end"/>) made to the host file
    /// directly (<see cref="WriteBackForHostIO"/> first): reads the cached pages there from the file
    /// again, so that every mapping sees the bytes written, as Linux's page cache shows them.
    /// </summary>
    /// <returns><see langword="null"/>, or the error of fstat or a read.</returns>
    public Error? RefreshAfterHostWrite(ulong start, ulong end)
    {
        lock (_lock)
        {
            (long size, _, Errno? statError) = Libc.Fstat(_fd);
            if (statError is not null)
            {
                return statError;
            }
            for (ulong index = start / Arch.PageSize; index * Arch.PageSize < end; index++)
            {
                if (_cache.TryGetValue(index, out CachedPage page))
                {
                    Error? error = ReadPageLocked(page.FileOffset, index, (ulong)size, zeroRest: true);
                    if (error is not null)
                    {
                        return error;
                    }
                }
            }
            NoteOwnChangeLocked();
            return null;
        }
    }

    /// <summary>The cache that hands this mappable out, told when its last reference goes.</summary>
    internal HostFileCache? Cache { get; set; }

    /// <inheritdoc/>
    public void IncRef() => Interlocked.Increment(ref _refs);

    /// <summary>Takes a reference unless the last one is already gone (the mappable is then being released).</summary>
    internal bool TryIncRef()
    {
        int refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
            {
                return true;
            }
            refs = seen;
        }
        return false;
    }

    /// <inheritdoc/>
    public void DecRef(IContext ctx)
    {
        if (Interlocked.Decrement(ref _refs) != 0)
        {
            return;
        }
        Cache?.Forget(this);
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
        _reader?.Dispose();
        _writer?.Dispose();
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
        lock (_mappingsLock)
        {
            _mappings.AddMapping(ms, ar, offset, writable);
            if (writable)
            {
                lock (_lock)
                {
                    // Pages translated before may now be written through: treat them all as dirty.
                    _writableBytes += ar.Length;
                    foreach (ulong index in _cache.Keys.ToArray())
                    {
                        _cache[index] = _cache[index] with { Dirty = true };
                    }
                }
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public void RemoveMapping(IContext ctx, IMappingSpace ms, AddrRange ar, ulong offset, bool writable)
    {
        lock (_mappingsLock)
        {
            _mappings.RemoveMapping(ms, ar, offset, writable);
            if (writable)
            {
                lock (_lock)
                {
                    _writableBytes -= ar.Length;
                }
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
                if (_writableBytes > 0)
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

    /// <summary>
    /// pread(2) of the file as a program sees it: cached pages are read from the cache (so what
    /// shared mappings wrote shows at once, as Linux's page cache shows it), the rest from the file.
    /// </summary>
    /// <returns>The bytes read (fewer at the end of the file), or the errno.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public (int Count, Error? Error) Read(Span<byte> buffer, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            (long size, _, Errno? statError) = Libc.Fstat(_fd);
            if (statError is not null)
            {
                return (0, statError);
            }
            if (offset >= size)
            {
                return (0, null);
            }
            int length = (int)Math.Min(buffer.Length, size - offset);
            // Runs of uncached pages are read from the file in one call each.
            ulong start = (ulong)offset, end = start + (ulong)length, uncachedFrom = start;
            for (ulong at = start; at < end;)
            {
                ulong pageEnd = Math.Min(Arch.PageRoundDown(at) + Arch.PageSize, end);
                if (_cache.TryGetValue(at / Arch.PageSize, out CachedPage cached))
                {
                    Error? error = ReadFileLocked(buffer, start, uncachedFrom, at);
                    if (error is not null)
                    {
                        return (0, error);
                    }
                    ulong from = cached.FileOffset + (at & Arch.PageMask);
                    (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(from, from + (pageEnd - at)), AccessType.ReadOnly);
                    if (mapError is not null)
                    {
                        return (0, mapError);
                    }
                    BlockCopy.CopyToSpan(blocks, buffer.Slice((int)(at - start), (int)(pageEnd - at)));
                    uncachedFrom = pageEnd;
                }
                at = pageEnd;
            }
            Error? lastError = ReadFileLocked(buffer, start, uncachedFrom, end);
            return lastError is not null ? (0, lastError) : (length, null);
        }
    }

    // Reads [from, to) of the file into buffer (which holds the file from `start`). _lock held.
    private Error? ReadFileLocked(Span<byte> buffer, ulong start, ulong from, ulong to)
    {
        while (from < to)
        {
            (int n, Errno? error) = Libc.Pread(ReadHandle, buffer.Slice((int)(from - start), (int)(to - from)), (long)from);
            if (error is not null)
            {
                return error;
            }
            if (n == 0)
            {
                // Shorter than fstat said (truncated from outside): the rest reads as zero.
                buffer.Slice((int)(from - start), (int)(to - from)).Clear();
                return null;
            }
            from += (ulong)n;
        }
        return null;
    }

    /// <summary>
    /// pwrite(2) to the file as a program makes it: the file is written, then every cached page the
    /// bytes fall in, so every mapping of the file (and each private page not yet copied) sees them
    /// at once.
    /// </summary>
    /// <returns>The bytes written, or the errno.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public (int Count, Error? Error) Write(ReadOnlySpan<byte> data, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            Error? growError = ZeroPastEndIfGrowingLocked((ulong)offset + (ulong)data.Length);
            if (growError is not null)
            {
                return (0, growError);
            }
            (int n, Errno? error) = Libc.Pwrite(WriteHandle, data, offset);
            if (error is not null)
            {
                return (0, error);
            }
            ulong start = (ulong)offset, end = start + (ulong)n;
            for (ulong page = Arch.PageRoundDown(start); page < end; page += Arch.PageSize)
            {
                if (!_cache.TryGetValue(page / Arch.PageSize, out CachedPage cached))
                {
                    continue;
                }
                ulong from = Math.Max(page, start), to = Math.Min(page + Arch.PageSize, end);
                ulong at = cached.FileOffset + (from - page);
                (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(at, at + (to - from)), AccessType.WriteOnly);
                if (mapError is not null)
                {
                    return (n, mapError);
                }
                BlockCopy.CopyFromSpan(blocks, data.Slice((int)(from - start), (int)(to - from)));
            }
            NoteOwnChangeLocked();
            return (n, null);
        }
    }

    /// <summary>
    /// ftruncate(2) as a program makes it: pages wholly past the new end leave every mapping (a later
    /// access is a bus error, private copies included, as Linux's truncation unmaps them) and the
    /// cached part of the last page past the new end reads as zero.
    /// </summary>
    /// <returns><see langword="null"/>, or ftruncate's errno.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <param name="size">The new size.</param>
    /// <param name="through">
    /// The open to truncate through (an open of this file for writing that this mappable may not
    /// hold a handle of); by default its own handle for writing.
    /// </param>
    public Error? Truncate(long size, SafeFileHandle? through = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        lock (_mappingsLock)
        {
            // Dirty pages past the new end are dropped unwritten, as Linux drops them.
            Error? error;
            lock (_lock)
            {
                error = ZeroPastEndIfGrowingLocked((ulong)size) ?? Libc.Ftruncate(through ?? WriteHandle, size);
                if (error is null)
                {
                    NoteOwnChangeLocked();
                }
            }
            if (error is not null)
            {
                return error;
            }
            (ulong keep, _) = Arch.PageRoundUp((ulong)size);
            _mappings.Invalidate(new MappableRange(keep, ulong.MaxValue & ~Arch.PageMask), new InvalidateOpts { InvalidatePrivate = true });
            lock (_lock)
            {
                foreach ((ulong index, CachedPage page) in _cache.ToArray())
                {
                    if (index * Arch.PageSize >= keep)
                    {
                        _memory.DecRef(new FileRange(page.FileOffset, page.FileOffset + Arch.PageSize));
                        _cache.Remove(index);
                    }
                }
                ulong tail = (ulong)size & Arch.PageMask;
                if (tail != 0 && _cache.TryGetValue((ulong)size / Arch.PageSize, out CachedPage last))
                {
                    (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(last.FileOffset + tail, last.FileOffset + Arch.PageSize), AccessType.WriteOnly);
                    if (mapError is not null)
                    {
                        return mapError;
                    }
                    BlockCopy.ZeroSeq(blocks);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Deallocates [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of the
    /// file (fallocate's FALLOC_FL_PUNCH_HOLE, size kept), as MADV_REMOVE asks: the range reads as
    /// zero from then on, through every shared mapping too; private copies already made are kept.
    /// </summary>
    /// <param name="offset">Page-aligned.</param>
    /// <param name="length">Page-aligned.</param>
    /// <returns><see langword="null"/>, or fallocate's errno (EFBIG past the largest file, for one); nothing changes then.</returns>
    internal Error? PunchHole(ulong offset, ulong length)
    {
        if (((offset | length) & Arch.PageMask) != 0)
        {
            throw new ArgumentException("The range must be page-aligned.", nameof(offset));
        }
        lock (_mappingsLock)
        {
            lock (_lock)
            {
                Error? error = Libc.Fallocate(WriteHandle, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, unchecked((long)offset), unchecked((long)length));
                if (error is not null)
                {
                    return error;
                }
                NoteOwnChangeLocked();
            }
            ulong end = offset + length;
            _mappings.Invalidate(new MappableRange(offset, end), new InvalidateOpts { InvalidatePrivate = false });
            lock (_lock)
            {
                // Dirty pages of the range are dropped unwritten: the hole is what the file holds now.
                for (ulong index = offset / Arch.PageSize; index < end / Arch.PageSize; index++)
                {
                    if (_cache.Remove(index, out CachedPage page))
                    {
                        _memory.DecRef(new FileRange(page.FileOffset, page.FileOffset + Arch.PageSize));
                    }
                }
            }
        }
        return null;
    }

    // Before the file grows to newSize: what mappings wrote past the old end in the cached last
    // page is not the file's, and must read as zero once the end moves past it, as on Linux.
    private Error? ZeroPastEndIfGrowingLocked(ulong newSize)
    {
        (long size, _, Errno? statError) = Libc.Fstat(_fd);
        if (statError is not null)
        {
            return statError;
        }
        ulong oldSize = (ulong)size, tail = oldSize & Arch.PageMask;
        if (newSize <= oldSize || tail == 0 || !_cache.TryGetValue(oldSize / Arch.PageSize, out CachedPage last))
        {
            return null;
        }
        (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(last.FileOffset + tail, last.FileOffset + Arch.PageSize), AccessType.WriteOnly);
        if (mapError is not null)
        {
            return mapError;
        }
        BlockCopy.ZeroSeq(blocks);
        return null;
    }

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
        Error? readError = ReadPageLocked(fr.Start, index, size, zeroRest: false);
        if (readError is not null)
        {
            _memory.DecRef(fr);
            return (default, readError);
        }
        page = new CachedPage(fr.Start, Dirty: false);
        _cache[index] = page;
        return (page, null);
    }

    // Reads page `index` of the file (size bytes long) into the memory file at `at`; the part
    // past the end of the file is zeroed too when zeroRest (a page that held other bytes before).
    private Error? ReadPageLocked(ulong at, ulong index, ulong size, bool zeroRest)
    {
        ulong fileOffset = index * Arch.PageSize;
        ulong toRead = Math.Min(Arch.PageSize, size - Math.Min(size, fileOffset));
        if (toRead > 0)
        {
            (BlockSeq blocks, Error? mapError) = _memory.MapInternal(new FileRange(at, at + toRead), AccessType.WriteOnly);
            if (mapError is not null)
            {
                return mapError;
            }
            (ulong n, Error? readError) = new HostFileReader(ReadHandle, (long)fileOffset).ReadFullToBlocks(blocks);
            if (readError is not null && n < toRead && readError != WellKnownErrors.EndOfStream)
            {
                return readError;
            }
        }
        if (zeroRest && toRead < Arch.PageSize)
        {
            (BlockSeq rest, Error? mapError) = _memory.MapInternal(new FileRange(at + toRead, at + Arch.PageSize), AccessType.WriteOnly);
            if (mapError is not null)
            {
                return mapError;
            }
            BlockCopy.ZeroSeq(rest);
        }
        return null;
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
        bool wrote = false;
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
            (_, Error? writeError) = new HostFileWriter(WriteHandle, (long)offset).WriteFullFromBlocks(blocks);
            if (writeError is not null)
            {
                return writeError;
            }
            if (length < Arch.PageSize)
            {
                // Like Linux's write-back of the page the end of the file falls in: what a mapping
                // wrote past the end is not the file's, and reads as zero from now on.
                (BlockSeq tail, Error? tailError) = _memory.MapInternal(new FileRange(page.FileOffset + length, page.FileOffset + Arch.PageSize), AccessType.WriteOnly);
                if (tailError is not null)
                {
                    return tailError;
                }
                BlockCopy.ZeroSeq(tail);
            }
            _cache[index] = page with { Dirty = _writableBytes > 0 };
            wrote = true;
        }
        if (wrote)
        {
            NoteOwnChangeLocked();
        }
        return null;
    }
}
