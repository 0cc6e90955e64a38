using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;

namespace Warden.PgAlloc;

public sealed partial class MemoryFile
{
    /// <inheritdoc/>
    /// <remarks>Bottom-up, small pages, uncommitted: <see cref="Allocate(ulong, MemoryKind, AllocOpts)"/> with <see cref="AllocOpts.Default"/>.</remarks>
    public (FileRange Range, Error? Error) Allocate(ulong length, MemoryKind kind) => Allocate(length, kind, AllocOpts.Default);

    /// <summary>Allocates <paramref name="length"/> bytes of zeroed pages, accounted as <paramref name="kind"/>, placed as <paramref name="opts"/> asks.</summary>
    /// <returns>
    /// The range, or an error and an empty range: <c>ENOMEM</c> when no free range of the file, up to
    /// <see cref="MaxSize"/>, fits (nothing is allocated then), or the error of growing or committing.
    /// </returns>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="length"/> is page-aligned and non-zero.</para>
    /// <para><b>Postconditions:</b> on success every page of the range holds one reference and reads
    /// as zero; with <see cref="AllocOpts.Huge"/> the range starts on a 2 MiB boundary.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="length"/> is zero or not page-aligned.</exception>
    public unsafe (FileRange Range, Error? Error) Allocate(ulong length, MemoryKind kind, AllocOpts opts)
    {
        if (length == 0 || !Arch.IsPageAligned(length))
        {
            ThrowHelper.ThrowArgument(nameof(length), "Allocate needs a non-zero page-aligned length, not 0x{0:x}.", length);
        }
        ulong align = opts.Huge ? (ulong)Arch.HugePageSize : Arch.PageSize;
        lock (_lock)
        {
            ThrowIfDestroyed();
            ulong start;
            bool found = opts.Direction == AllocDirection.TopDown
                ? FindTopDownLocked(length, align, out start) || FindBottomUpLocked(length, align, out start)
                : FindBottomUpLocked(length, align, out start);
            if (!found)
            {
                return (default, Errno.ENOMEM);
            }
            ulong end = start + length;
            if (end > _fileSize)
            {
                ulong newSize = Math.Min(RoundUp(end, _growStep), _maxSize);
                if (Libc.Ftruncate(_fd, (long)newSize) is { } growError)
                {
                    _freeFloor = Math.Min(_freeFloor, start);
                    return (default, growError);
                }
                Volatile.Write(ref _fileSize, newSize);
            }
            var fr = new FileRange(start, end);
            if (CommitLocked(fr, opts.Mode) is { } commitError)
            {
                // Whatever was committed is given back: the range was never handed out.
                _ = Libc.Fallocate(_fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, (long)fr.Start, (long)fr.Length);
                _freeFloor = Math.Min(_freeFloor, start);
                return (default, commitError);
            }
            _refs.Add(fr, new PageState(1, kind, opts.MemCgID));
            return (fr, null);
        }
    }

    // The lowest aligned free range of the given length below _maxSize, searched from _freeFloor,
    // which it raises past the pages it finds allocated on its way. Caller holds _lock.
    private bool FindBottomUpLocked(ulong length, ulong align, out ulong start)
    {
        // Until the search passes a non-empty gap, every page before the gap it looks at is allocated.
        bool dense = true;
        for (var gap = _refs.LowerBoundGap(_freeFloor); gap.IsValid; gap = gap.NextGap())
        {
            ulong gapStart = gap.Start;
            if (gapStart >= _maxSize)
            {
                break;
            }
            ulong limit = Math.Min(gap.End, _maxSize);
            ulong s = RoundUp(gapStart, align);
            if (s >= gapStart && s <= limit && limit - s >= length)
            {
                if (dense)
                {
                    // The caller allocates [s, s + length) next.
                    _freeFloor = Math.Max(_freeFloor, s == gapStart ? s + length : gapStart);
                }
                start = s;
                return true;
            }
            dense &= gapStart == gap.End;
        }
        start = 0;
        return false;
    }

    // The highest aligned free range of the given length within the file's current size. Caller holds _lock.
    private bool FindTopDownLocked(ulong length, ulong align, out ulong start)
    {
        for (var gap = _refs.LastGap(); gap.IsValid; gap = gap.PrevGap())
        {
            ulong gapStart = gap.Start;
            ulong limit = Math.Min(gap.End, _fileSize);
            if (limit <= gapStart || limit - gapStart < length)
            {
                continue;
            }
            ulong s = (limit - length) & ~(align - 1);
            if (s >= gapStart)
            {
                start = s;
                return true;
            }
        }
        start = 0;
        return false;
    }

    // Commits host memory for a range about to be handed out, as mode asks. Caller holds _lock.
    private unsafe Error? CommitLocked(FileRange fr, AllocMode mode)
    {
        if (mode == AllocMode.Uncommitted)
        {
            return null;
        }
        if (mode == AllocMode.Populated)
        {
            Error? error = null;
            for (ulong at = fr.Start; at < fr.End && error is null;)
            {
                ulong chunkEnd = Math.Min((at | (_chunkSize - 1)) + 1, fr.End);
                (nint chunk, Error? mapError) = ChunkLocked((int)(at >> _chunkShift));
                if (mapError is not null)
                {
                    return mapError;
                }
                error = Libc.Madvise((byte*)chunk + (at & (_chunkSize - 1)), (nuint)(chunkEnd - at), LinuxMman.MADV_POPULATE_WRITE);
                at = chunkEnd;
            }
            // Kernels before 5.14 do not know MADV_POPULATE_WRITE: commit without populating.
            if (error != Errno.EINVAL)
            {
                return error;
            }
        }
        return Libc.Fallocate(_fd, 0, (long)fr.Start, (long)fr.Length);
    }

    private static ulong RoundUp(ulong x, ulong align)
    {
        ulong r = (x + align - 1) & ~(align - 1);
        // On overflow the result wraps below x; callers treat that as "does not fit".
        return r < x ? ulong.MaxValue & ~(align - 1) : r;
    }
}
