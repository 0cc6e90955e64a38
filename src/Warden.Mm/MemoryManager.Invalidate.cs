using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Called by a mappable whose translations for <paramref name="ar"/> changed: forgets the pmas
    /// there (only those of shared mappings unless <see cref="InvalidateOpts.InvalidatePrivate"/>), so
    /// later accesses translate again.
    /// </summary>
    /// <remarks>Takes the active lock; callers may hold the mapping lock but not the active lock.</remarks>
    public void Invalidate(AddrRange ar, InvalidateOpts opts)
    {
        _activeLock.EnterWriteLock();
        try
        {
            ulong start = ar.Start.Value, end = ar.End.Value;
            var segment = _pmas.LowerBoundSegment(start);
            while (segment.IsValid && segment.Start < end)
            {
                // Private copies made by copy-on-write stay unless asked (they no longer depend on the mappable).
                if (segment.Value.Private && !opts.InvalidatePrivate)
                {
                    segment = segment.NextSegment();
                    continue;
                }
                segment = _pmas.Isolate(segment, ar);
                ulong s = segment.Start, e = segment.End;
                UnmapPlatformLocked(s, e);
                Pma pma = segment.Value;
                pma.File.DecRef(pma.FileRangeOf(s, segment.Range));
                _curRSS -= e - s;
                segment = _pmas.Remove(segment).NextSegment();
            }
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }
}
