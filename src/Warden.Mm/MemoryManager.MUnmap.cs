using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Removes the mappings in [addr, addr + length): munmap(2). Unmapped parts of the range are fine.
    /// EINVAL for an unaligned address, a zero length or a range past the end of the address space;
    /// ENOMEM when splitting a vma would pass the map-count limit.
    /// </summary>
    public Error? MUnmap(IContext ctx, Addr addr, ulong length)
    {
        if (!addr.IsPageAligned || length == 0)
        {
            return Errno.EINVAL;
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        ulong start = addr.Value;
        if (!ok || start > _layout.MaxAddress || rounded > _layout.MaxAddress - start)
        {
            return Errno.EINVAL;
        }
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (UnmapWouldExceedMapCountLocked(start, start + rounded))
            {
                return Errno.ENOMEM;
            }
            UnmapLocked(ctx, start, start + rounded);
            return null;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }
}
