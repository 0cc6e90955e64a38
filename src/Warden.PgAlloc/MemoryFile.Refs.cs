using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;

namespace Warden.PgAlloc;

public sealed partial class MemoryFile
{
    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is page-aligned and non-empty, and every page
    /// in it is allocated (holds a reference). Pages keep the cgroup they were allocated with, so
    /// <paramref name="memCgID"/> changes nothing.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="fr"/> is empty or not page-aligned.</exception>
    /// <exception cref="InvalidOperationException">A page in <paramref name="fr"/> has no reference, or int.MaxValue references (nothing changes).</exception>
    public void IncRef(FileRange fr, uint memCgID)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            ThrowIfDestroyed();
            RequireReferencedLocked(fr, nameof(IncRef));
            var seg = _refs.FindSegment(fr.Start);
            while (seg.IsValid && seg.Start < fr.End)
            {
                seg = _refs.Isolate(seg, fr);
                PageState state = seg.Value;
                seg.Value = state with { Refs = state.Refs + 1 };
                seg = seg.NextSegment();
            }
            MergeAroundLocked(fr);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is page-aligned and non-empty, and every page
    /// in it holds a reference.</para>
    /// <para><b>Postconditions:</b> pages whose count reached zero are free, and their host memory is
    /// released before this returns (they read as zero when allocated again).</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="fr"/> is empty or not page-aligned.</exception>
    /// <exception cref="InvalidOperationException">A page in <paramref name="fr"/> has no reference (nothing changes).</exception>
    public void DecRef(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            ThrowIfDestroyed();
            RequireReferencedLocked(fr, nameof(DecRef));
            // Freed ranges are released in as few calls as possible: contiguous ones are joined.
            ulong freeStart = 0, freeEnd = 0;
            var seg = _refs.FindSegment(fr.Start);
            while (seg.IsValid && seg.Start < fr.End)
            {
                seg = _refs.Isolate(seg, fr);
                PageState state = seg.Value;
                if (state.Refs > 1)
                {
                    seg.Value = state with { Refs = state.Refs - 1 };
                    seg = seg.NextSegment();
                    continue;
                }
                ulong start = seg.Start, end = seg.End;
                if (start != freeEnd)
                {
                    ReleaseLocked(freeStart, freeEnd);
                    freeStart = start;
                }
                freeEnd = end;
                seg = _refs.Remove(seg).NextSegment();
            }
            ReleaseLocked(freeStart, freeEnd);
            MergeAroundLocked(fr);
        }
    }

    /// <summary>Returns whether every page of <paramref name="fr"/> holds exactly one reference.</summary>
    /// <remarks>
    /// The memory manager uses it to take over a copy-on-write page without copying it.
    /// <b>Preconditions:</b> <paramref name="fr"/> is page-aligned and non-empty. A page with no
    /// reference makes the answer <see langword="false"/>.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="fr"/> is empty or not page-aligned.</exception>
    public bool HasUniqueRef(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            ThrowIfDestroyed();
            ulong covered = fr.Start;
            for (var seg = _refs.FindSegment(fr.Start); seg.IsValid && seg.Start < fr.End; seg = seg.NextSegment())
            {
                if (seg.Start > covered || seg.Value.Refs != 1)
                {
                    return false;
                }
                covered = seg.End;
            }
            return covered >= fr.End;
        }
    }

    /// <summary>The references held on the page at <paramref name="pageOffset"/> (0 if it is free); for tests and diagnostics.</summary>
    internal int RefCount(ulong pageOffset)
    {
        lock (_lock)
        {
            ThrowIfDestroyed();
            var seg = _refs.FindSegment(pageOffset);
            return seg.IsValid ? seg.Value.Refs : 0;
        }
    }

    /// <summary>The number of segments in the reference-count map (equal neighbours are merged); for tests.</summary>
    internal int SegmentCount
    {
        get
        {
            lock (_lock)
            {
                return _refs.Count;
            }
        }
    }

    // Throws unless every page of fr is in the map (holds a reference), and, for IncRef, no count is
    // at its maximum: so a throwing IncRef or DecRef changes nothing. Caller holds _lock.
    private void RequireReferencedLocked(FileRange fr, string operation)
    {
        ulong covered = fr.Start;
        for (var seg = _refs.FindSegment(fr.Start); seg.IsValid && seg.Start < fr.End; seg = seg.NextSegment())
        {
            if (seg.Start > covered)
            {
                break;
            }
            if (operation == nameof(IncRef) && seg.Value.Refs == int.MaxValue)
            {
                ThrowHelper.ThrowInvalidOperation("refcount: IncRef({0}) would overflow the count of {1}.", fr, seg.Range);
            }
            covered = seg.End;
        }
        if (covered < fr.End)
        {
            ThrowHelper.ThrowInvalidOperation(
                "refcount: {0}({1}) touches page 0x{2:x}, which has no reference.", operation, fr, covered);
        }
    }

    // Merges the segments of fr, and those at its edges, with equal neighbours. Caller holds _lock.
    private void MergeAroundLocked(FileRange fr)
    {
        ulong start = fr.Start >= Arch.PageSize ? fr.Start - Arch.PageSize : 0;
        _refs.MergeRange(new FileRange(start, fr.End + Arch.PageSize));
    }

    // Releases the host memory of the free pages [start, end), so they read as zero and stop
    // counting as usage. Caller holds _lock, so no Allocate can hand them out before this is done.
    private void ReleaseLocked(ulong start, ulong end)
    {
        if (start >= end)
        {
            return;
        }
        _freeFloor = Math.Min(_freeFloor, start);
        if (Libc.Fallocate(_fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, (long)start, (long)(end - start)) is { } error)
        {
            // Punching a hole in a memfd we own cannot fail short of a kernel without it; reusing the
            // pages unzeroed would leak contents between allocations, so stop here.
            ThrowHelper.ThrowInvalidOperation("Releasing [0x{0:x}, 0x{1:x}) of the memory file failed: {2}.", start, end, error);
        }
    }
}
