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
    /// <returns>The pinned ranges in address order (possibly only a prefix) and the error that stopped pinning (EFAULT).</returns>
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
                (ulong reached, Error? error) = FaultInLocked(start, end, at, ignorePermissions);
                var pinned = new List<PinnedRange>();
                var segment = _pmas.LowerBoundSegment(start);
                while (segment.IsValid && segment.Start < reached)
                {
                    ulong s = Math.Max(segment.Start, start), e = Math.Min(segment.End, reached);
                    Pma pma = segment.Value;
                    var fr = pma.FileRangeOf(segment.Start, Range(s, e));
                    pma.File.IncRef(fr, _options.MemCgID);
                    pinned.Add(new PinnedRange(Range(s, e), pma.File, fr.Start));
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
    public static void Unpin(ReadOnlySpan<PinnedRange> ranges)
    {
        foreach (PinnedRange range in ranges)
        {
            range.File.DecRef(range.FileRange);
        }
    }
}
