using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Pins the memory behind [ar.Start, ar.End) for direct I/O: faults it in for
    /// <paramref name="at"/> and returns the file ranges, each holding a reference, so they stay
    /// valid (even if the program unmaps the range) until <see cref="Unpin"/>.
    /// </summary>
    /// <remarks>
    /// <para>A pinned page is the page the process sees for as long as it stays mapped there: pinning
    /// gives private memory still shared copy-on-write (with a fork, or the read-only page of a first
    /// read) to this address space alone, and <see cref="Fork"/> copies pinned private pages for the
    /// child at once instead of sharing them, so no later write of either process can move this
    /// process off the pinned page (Linux does the same for pinned anonymous pages). Pages of a
    /// file mapping are pinned as the file's pages.</para>
    /// <para>Takes the mapping lock for reading and the active lock for writing.</para>
    /// </remarks>
    /// <returns>The pinned ranges in address order (possibly only a prefix) and the error that stopped pinning (EFAULT, ENOMEM).</returns>
    public (PinnedRange[] Ranges, Error? Error) Pin(IContext ctx, AddrRange ar, AccessType at, bool ignorePermissions)
    {
        ulong start = Arch.PageRoundDown(ar.Start.Value);
        ulong end = PageRoundUpSaturating(ar.End.Value);
        if (end <= start)
        {
            return ([], null);
        }
        _mappingLock.EnterReadLock();
        try
        {
            _activeLock.EnterWriteLock();
            try
            {
                (ulong reached, Error? error) = FaultInLocked(start, end, at, ignorePermissions, exact: true);
                var pinned = new List<PinnedRange>();
                var segment = _pmas.LowerBoundSegment(start);
                while (segment.IsValid && segment.Start < reached)
                {
                    AddrRange pinRange = Range(Math.Max(segment.Start, start), Math.Min(segment.End, reached));
                    segment = _pmas.Isolate(segment, pinRange);
                    if (segment.Value.Private && segment.Value.NeedCOW)
                    {
                        Error? cowError = BreakCopyOnWriteLocked(segment, pinRange.Start.Value, pinRange.End.Value, _vmas.FindSegment(pinRange.Start.Value).Value);
                        if (cowError is not null)
                        {
                            error = cowError;
                            break;
                        }
                        segment = _pmas.FindSegment(pinRange.Start.Value);
                        segment = _pmas.Isolate(segment, pinRange);
                    }
                    ref Pma pma = ref segment.Value;
                    pma.PinCount++;
                    var fr = pma.FileRangeOf(segment.Start, segment.Range);
                    pma.File.IncRef(fr, _options.MemCgID);
                    pinned.Add(new PinnedRange(segment.Range, pma.File, fr.Start) { Owner = this });
                    segment = segment.NextSegment();
                }
                return (pinned.ToArray(), error);
            }
            finally
            {
                _activeLock.ExitWriteLock();
            }
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    /// <summary>Releases ranges returned by <see cref="Pin"/>. Each must be unpinned exactly once.</summary>
    /// <remarks>Takes, for each range, its memory manager's mapping lock for reading and active lock for writing.</remarks>
    public static void Unpin(ReadOnlySpan<PinnedRange> ranges)
    {
        foreach (PinnedRange range in ranges)
        {
            range.Owner?.ReleasePin(range);
            range.File.DecRef(range.FileRange);
        }
    }

    // Takes back the pin count `range` put on the pmas that still map its pages where it pinned them
    // (a pma unmapped or moved since then took its count with it).
    private void ReleasePin(in PinnedRange range)
    {
        _mappingLock.EnterReadLock();
        _activeLock.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }
            ulong start = range.Source.Start.Value, end = range.Source.End.Value;
            var segment = _pmas.LowerBoundSegment(start);
            while (segment.IsValid && segment.Start < end)
            {
                Pma pma = segment.Value;
                ulong at = Math.Max(segment.Start, start);
                bool samePages = ReferenceEquals(pma.File, range.File) &&
                    pma.Offset + (at - segment.Start) == range.Offset + (at - start);
                if (samePages && pma.PinCount > 0)
                {
                    segment = _pmas.Isolate(segment, range.Source);
                    segment.Value.PinCount--;
                }
                segment = segment.NextSegment();
            }
            _pmas.MergeRange(range.Source);
        }
        finally
        {
            _activeLock.ExitWriteLock();
            _mappingLock.ExitReadLock();
        }
    }
}
