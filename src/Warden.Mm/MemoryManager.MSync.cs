using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

/// <summary>The flags of <see cref="MemoryManager.MSync"/>.</summary>
/// <param name="Sync">MS_SYNC: write shared file pages back before returning.</param>
/// <param name="Invalidate">MS_INVALIDATE: fails with EBUSY on locked mappings, as on Linux.</param>
public readonly record struct MSyncOpts(bool Sync, bool Invalidate);

public sealed partial class MemoryManager
{
    /// <summary>
    /// msync(2) over [addr, addr + length): with <see cref="MSyncOpts.Sync"/>, shared file mappings
    /// write their dirty pages back through their identity's <see cref="IMappingIdentity.Msync"/>.
    /// </summary>
    /// <remarks>EINVAL for an unaligned address; ENOMEM when part of the range is unmapped (after
    /// syncing the mapped parts, those past a hole too unless only MS_ASYNC is asked); EBUSY for
    /// MS_INVALIDATE on a locked mapping, even past a hole; EINTR when
    /// <paramref name="ctx"/> is cancelled before every file is written back.</remarks>
    public Error? MSync(IContext ctx, Addr addr, ulong length, MSyncOpts opts)
    {
        if (!addr.IsPageAligned)
        {
            return Errno.EINVAL;
        }
        // Linux rounds the length up to pages as it wraps: a length within a page of 2^64 becomes 0
        // (nothing to do), an end past 2^64 is ENOMEM.
        ulong start = addr.Value;
        ulong end = unchecked(start + Arch.PageRoundDown(length + Arch.PageMask));
        if (end < start)
        {
            return Errno.ENOMEM;
        }
        if (start == end)
        {
            return null;
        }
        var work = new List<(IMappingIdentity Id, MappableRange Range)>();
        Error? error = null;
        _mappingLock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            // Linux's walk: a hole is remembered (ENOMEM at the end) and passed, except by MS_ASYNC
            // alone, which stops there; a locked vma under MS_INVALIDATE is EBUSY at once.
            Error? unmapped = null;
            ulong at = start;
            var segment = _vmas.LowerBoundSegment(start);
            while (true)
            {
                if (!segment.IsValid || segment.Start >= end)
                {
                    error = Errno.ENOMEM;
                    break;
                }
                if (segment.Start > at)
                {
                    if (!opts.Sync && !opts.Invalidate)
                    {
                        error = Errno.ENOMEM;
                        break;
                    }
                    at = segment.Start;
                    unmapped = Errno.ENOMEM;
                }
                Vma vma = segment.Value;
                if (opts.Invalidate && vma.MLockMode != MLockMode.None)
                {
                    error = Errno.EBUSY;
                    break;
                }
                ulong e = Math.Min(segment.End, end);
                if (opts.Sync && !vma.Private && vma.Id is not null)
                {
                    work.Add((vma.Id, new MappableRange(vma.MappableOffsetAt(segment.Start, at), vma.MappableOffsetAt(segment.Start, e))));
                }
                at = e;
                if (at >= end)
                {
                    break;
                }
                segment = segment.NextSegment();
            }
            error ??= unmapped;
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
        foreach ((IMappingIdentity id, MappableRange mr) in work)
        {
            if (ctx.CancellationToken.IsCancellationRequested)
            {
                return Errno.EINTR;
            }
            Error? syncError = id.Msync(ctx, mr);
            if (syncError is not null)
            {
                return syncError;
            }
        }
        return error;
    }
}
