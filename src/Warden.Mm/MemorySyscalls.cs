using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using static Warden.HostArch.LinuxMman;

namespace Warden.Mm;

/// <summary>
/// The memory system calls with Linux's raw arguments (x86-64 values from <see cref="LinuxMman"/>):
/// flag validation and decoding in Linux's order, then the <see cref="MemoryManager"/> operation.
/// A syscall layer calls these with the program's registers.
/// </summary>
public static class MemorySyscalls
{

    // x86-64's MAP_ABOVE4G (Linux 6.6): MAP_SHARED_VALIDATE knows it. It only raises a search's
    // low limit to 4 GiB, which Warden does not model (a search below 4 GiB is rare).
    private const ulong MapAbove4G = 0x80;

    // Linux's LEGACY_MAP_MASK (with x86-64's MAP_ABOVE4G): the flags every file's mmap takes, and
    // all that MAP_SHARED_VALIDATE accepts from a file without MAP_SYNC support. The huge-page size
    // field counts as known wherever its bits lie inside MAP_HUGE_2MB | MAP_HUGE_1GB (bits 26 to 30).
    private const ulong LegacyMapFlags = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |
        MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
        MAP_32BIT | MapAbove4G | (21UL << MAP_HUGE_SHIFT) | (30UL << MAP_HUGE_SHIFT);

    // The lowest address that, returned by mmap, reads as an errno (Linux's IS_ERR_VALUE).
    private const ulong FirstErrnoValue = unchecked((ulong)-4095L);

    /// <summary>
    /// mmap(2). <paramref name="file"/> is the mapped file (ignored with MAP_ANONYMOUS; EBADF if
    /// missing without it): a file that cannot be mapped is an <see cref="IMmapSource"/> all the
    /// same (see <see cref="UnmappableMmapSource"/>), so that its checks come in Linux's order.
    /// </summary>
    /// <remarks>
    /// Checks in the order of x86-64 Linux's sys_mmap, ksys_mmap_pgoff and do_mmap: the offset's
    /// alignment, the descriptor, MAP_HUGETLB, the length, the placement (ENOMEM, EINVAL, EPERM,
    /// EEXIST) and the right to lock (EPERM, EAGAIN), and only then the file (EOVERFLOW past the
    /// largest file, EOPNOTSUPP, EACCES, EPERM, ENODEV, EINVAL) or the anonymous mapping's type, then the
    /// limits and the file's own mmap (EOPNOTSUPP for MAP_SYNC). A fixed address in the last page
    /// below 2^64 is "placed" there unchanged, as Linux's placement does, and so comes back as an
    /// errno: Errno <c>-addr</c>, or, for a number that is no errno, the address itself as the
    /// result (what a program sees either way).
    /// </remarks>
    /// <returns>The mapping's address, or the errno.</returns>
    public static (ulong Result, Error? Error) Mmap(IContext ctx, MemoryManager mm, ulong addr, ulong length, ulong prot, ulong flags, IMmapSource? file = null, ulong offset = 0)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if ((offset & Arch.PageMask) != 0)
        {
            return (0, Errno.EINVAL);
        }
        bool anonymous = (flags & MAP_ANONYMOUS) != 0;
        if (!anonymous && file is null)
        {
            return (0, Errno.EBADF);
        }
        // MAP_HUGETLB maps a file of hugetlbfs, which Warden does not have: a page size no x86-64
        // kernel offers is EINVAL, and so is huge-page mapping of another file; for anonymous
        // memory the answer is that of a host with no huge pages reserved (ENOMEM, below).
        bool hugeTlb = (flags & MAP_HUGETLB) != 0;
        ulong hugePageSize = 0;
        if (hugeTlb)
        {
            ulong sizeShift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
            if (!anonymous || sizeShift is not (0 or 21 or 30))
            {
                return (0, Errno.EINVAL);
            }
            hugePageSize = sizeShift == 30 ? 1UL << 30 : 2UL << 20;
            // Linux rounds the length up to whole huge pages first, with the C arithmetic's
            // wrap-around: a length that rounds to 0 is then EINVAL.
            length = (length + hugePageSize - 1) & ~(hugePageSize - 1);
        }
        // Linux ignores protection bits it does not know in mmap (mprotect rejects them).
        if (length == 0)
        {
            return (0, Errno.EINVAL);
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(length);
        if (!ok || rounded == 0)
        {
            return (0, Errno.ENOMEM);
        }
        // The page offset plus the page count cannot wrap on a 64-bit kernel (both are below 2^52),
        // so Linux's EOVERFLOW check for it is never met; an offset past the largest file is
        // EOVERFLOW below, after placement.
        ulong type = flags & MAP_TYPE;
        bool isFixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
        // (A huge-page mapping's fixed address is checked for alignment instead, so it never gets here.)
        if (!hugeTlb && isFixed && addr >= FirstErrnoValue && rounded <= mm.Layout.MaxAddress)
        {
            return Errno.TryFromNumber((int)(0 - addr), out Errno? asErrno) ? (0, asErrno) : (addr, null);
        }
        bool droppable = anonymous && !hugeTlb && type == MAP_DROPPABLE;
        bool isPrivate = type == MAP_PRIVATE || droppable;

        AccessType perms = AccessType.FromProt((int)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
        var opts = new MMapOpts
        {
            Length = length,
            Offset = anonymous ? 0 : offset,
            Addr = (Addr)addr,
            Fixed = isFixed,
            // MAP_FIXED_NOREPLACE wins when both are given: Linux answers EEXIST over a mapping.
            Unmap = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == MAP_FIXED,
            Map32Bit = (flags & MAP_32BIT) != 0,
            Perms = perms,
            MaxPerms = AccessType.AnyAccess,
            Private = isPrivate,
            GrowsDown = (flags & MAP_GROWSDOWN) != 0,
            MLockMode = (flags & MAP_LOCKED) != 0 ? MLockMode.Eager : MLockMode.None,
            PlatformEffect = (flags & MAP_POPULATE) != 0 && (flags & MAP_NONBLOCK) == 0 ? MMapPlatformEffect.Populate : MMapPlatformEffect.Default,
            NameMut = anonymous ? (isPrivate ? NameMut.Anon : NameMut.AnonShmem) : NameMut.Disallowed,
        };
        if (hugeTlb)
        {
            // Huge pages are placed (and a fixed address must be aligned) at their own size, once
            // the length is known to fit the address space.
            if (rounded > mm.Layout.MaxAddress)
            {
                return (0, Errno.ENOMEM);
            }
            if (isFixed && (addr & (hugePageSize - 1)) != 0)
            {
                return (0, Errno.EINVAL);
            }
            Error? placement = mm.ProbeHugeTlbMMap(opts with { Length = rounded, GrowsDown = false }, hugePageSize);
            // Then the huge-page file's checks (the anonymous mapping is of a hugetlbfs file, at the
            // offset given): an end past the largest file, its type, MAP_SHARED_VALIDATE's unknown
            // flags, MAP_GROWSDOWN (a file cannot grow down), an offset that is not a whole number
            // of huge pages, and finally its mmap,
            // which finds no huge pages to reserve.
            Error? hugeError = offset + rounded < offset || offset + rounded > long.MaxValue ? Errno.EOVERFLOW
                : type is not (MAP_SHARED or MAP_SHARED_VALIDATE or MAP_PRIVATE) ? Errno.EINVAL
                : type == MAP_SHARED_VALIDATE && (flags & ~LegacyMapFlags) != 0 ? Errno.EOPNOTSUPP
                : (flags & MAP_GROWSDOWN) != 0 || (offset & (hugePageSize - 1)) != 0 ? Errno.EINVAL : Errno.ENOMEM;
            return (0, placement ?? hugeError);
        }

        // Linux chooses the address and checks the right to lock before it looks at the file or
        // the mapping type. (The probe and the mapping below each take the mapping lock; a change
        // made between them by another thread is one Linux could have seen first as well.)
        Error? early = mm.ProbeMMap(opts with { GrowsDown = false });
        if (early is not null)
        {
            return (0, early);
        }
        Error? lateError = null;
        if (!anonymous)
        {
            Error? fileError = CheckFile(ctx, file!, flags, perms, rounded, offset, ref opts);
            if (fileError is not null)
            {
                return (0, fileError);
            }
            // VM_SYNC is set for every MAP_SYNC mapping; a file whose mmap cannot keep it (a file
            // of ext4 or xfs that is not DAX) refuses it there, once the mapping is otherwise admitted.
            if ((flags & MAP_SYNC) != 0 && file!.RefusesSyncMapping)
            {
                lateError = Errno.EOPNOTSUPP;
            }
        }
        else if (type is not (MAP_SHARED or MAP_PRIVATE or MAP_DROPPABLE) || (type == MAP_SHARED && opts.GrowsDown) ||
            (droppable && (flags & (MAP_LOCKED | MAP_GROWSDOWN)) != 0))
        {
            return (0, Errno.EINVAL);
        }
        VmaHints hints = ((flags & MAP_NORESERVE) != 0 ? VmaHints.NoReserve : VmaHints.None) |
            ((flags & MAP_STACK) != 0 ? VmaHints.NoHugePage : VmaHints.None) |
            ((flags & MAP_SYNC) != 0 ? VmaHints.Sync : VmaHints.None) |
            (droppable ? VmaHints.Droppable | VmaHints.NoReserve | VmaHints.DontDump : VmaHints.None);
        (Addr result, Error? error) = mm.MMap(ctx, opts, hints, lateError);
        return error is null ? (result.Value, null) : (0, error);
    }

    // do_mmap's checks of a file, in its order, once the address is chosen: the largest offset
    // (file_mmap_ok), the type, MAP_SHARED_VALIDATE's unknown flags, the access mode, a noexec
    // mount (EPERM), the file's mmap (ENODEV) and MAP_GROWSDOWN; sets the mappable.
    private static Error? CheckFile(IContext ctx, IMmapSource file, ulong flags, AccessType perms, ulong rounded, ulong offset, ref MMapOpts opts)
    {
        ulong maxSize = file.MaxMapSize;
        if (maxSize != 0 && (rounded > maxSize || offset >> Arch.PageShift > (maxSize - rounded) >> Arch.PageShift))
        {
            return Errno.EOVERFLOW;
        }
        ulong type = flags & MAP_TYPE;
        if (type is not (MAP_SHARED or MAP_SHARED_VALIDATE or MAP_PRIVATE))
        {
            return Errno.EINVAL;
        }
        if (type != MAP_PRIVATE)
        {
            // MAP_SHARED drops the flags it does not know; MAP_SHARED_VALIDATE refuses them.
            ulong known = LegacyMapFlags | (file.ValidatesSyncFlag ? MAP_SYNC : 0UL);
            if (type == MAP_SHARED_VALIDATE && (flags & ~known) != 0)
            {
                return Errno.EOPNOTSUPP;
            }
            if (perms.Write && !file.Writable)
            {
                return Errno.EACCES;
            }
            if (!file.Writable)
            {
                opts.MaxPerms = opts.MaxPerms with { Write = false };
            }
        }
        if (!file.Readable)
        {
            return Errno.EACCES;
        }
        if (file.NoExec)
        {
            if (perms.Execute)
            {
                return Errno.EPERM;
            }
            opts.MaxPerms = opts.MaxPerms with { Execute = false };
        }
        Error? configureError = file.ConfigureMMap(ctx, ref opts);
        if (configureError is not null)
        {
            return configureError;
        }
        return opts.GrowsDown ? Errno.EINVAL : null;
    }

    /// <summary>munmap(2).</summary>
    public static Error? Munmap(IContext ctx, MemoryManager mm, ulong addr, ulong length)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.MUnmap(ctx, (Addr)addr, length);
    }

    /// <summary>mprotect(2), including PROT_GROWSDOWN (PROT_GROWSUP, and both, are EINVAL on x86-64).</summary>
    /// <remarks><paramref name="prot"/> is an unsigned long, as in Linux: a bit above 31 is unknown too (EINVAL).</remarks>
    public static Error? Mprotect(IContext ctx, MemoryManager mm, ulong addr, ulong length, ulong prot)
    {
        ArgumentNullException.ThrowIfNull(mm);
        bool growsDown = (prot & PROT_GROWSDOWN) != 0;
        bool growsUp = (prot & PROT_GROWSUP) != 0;
        bool unknownBits = (prot & ~(ulong)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) != 0;
        return mm.MProtect(ctx, (Addr)addr, length, AccessType.FromProt((int)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC))), growsDown, growsUp, unknownBits);
    }

    /// <summary>mremap(2) with MREMAP_MAYMOVE, MREMAP_FIXED and MREMAP_DONTUNMAP.</summary>
    /// <returns>The mapping's (possibly new) address, or the errno.</returns>
    /// <remarks><paramref name="flags"/> is an unsigned long, as in Linux: a bit above 31 is unknown too (EINVAL).</remarks>
    public static (ulong Result, Error? Error) Mremap(IContext ctx, MemoryManager mm, ulong oldAddr, ulong oldSize, ulong newSize, ulong flags, ulong newAddr)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if ((flags & ~(ulong)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0)
        {
            return (0, Errno.EINVAL);
        }
        bool mayMove = (flags & MREMAP_MAYMOVE) != 0;
        bool isFixed = (flags & MREMAP_FIXED) != 0;
        bool dontUnmap = (flags & MREMAP_DONTUNMAP) != 0;
        if (isFixed && !mayMove)
        {
            return (0, Errno.EINVAL);
        }
        var move = isFixed ? MRemapMoveMode.MustMove : mayMove ? MRemapMoveMode.MayMove : MRemapMoveMode.NoMove;
        (Addr result, Error? error) = mm.MRemap(ctx, (Addr)oldAddr, oldSize, newSize, new MRemapOpts(move, (Addr)newAddr, dontUnmap));
        return error is null ? (result.Value, null) : (0, error);
    }

    /// <summary>madvise(2).</summary>
    public static Error? Madvise(IContext ctx, MemoryManager mm, ulong addr, ulong length, int advice)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.MAdvise(ctx, (Addr)addr, length, advice);
    }

    /// <summary>brk(2): returns the break after the call (unchanged on failure, as Linux's does).</summary>
    public static ulong Brk(IContext ctx, MemoryManager mm, ulong addr)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.Brk(ctx, (Addr)addr).Value;
    }

    /// <summary>
    /// mincore(2): writes a byte per page of [<paramref name="addr"/>, <paramref name="addr"/> +
    /// <paramref name="length"/>) to the vector at <paramref name="vectorAddr"/> in
    /// <paramref name="mm"/>'s address space, 1 where the page has memory behind it.
    /// </summary>
    /// <remarks>
    /// As Linux: EINVAL for an unaligned start; ENOMEM for a range past the end of the user address
    /// space; EFAULT for a vector that does not lie in it (even for 0 pages); then a vma at a time
    /// (and at most a page of vector bytes at a time), each part's bytes copied out before the next
    /// is looked at, so a hole is ENOMEM, and a vector that cannot be written EFAULT, with the
    /// bytes for the pages before it written.
    /// </remarks>
    public static Error? Mincore(IContext ctx, MemoryManager mm, ulong addr, ulong length, ulong vectorAddr)
    {
        ArgumentNullException.ThrowIfNull(mm);
        const int Chunk = (int)Arch.PageSize;
        if ((addr & Arch.PageMask) != 0)
        {
            return Errno.EINVAL;
        }
        if (!UserRangeOk(addr, length))
        {
            return Errno.ENOMEM;
        }
        ulong pages = (length >> Arch.PageShift) + ((length & Arch.PageMask) != 0 ? 1UL : 0);
        if (!UserRangeOk(vectorAddr, pages))
        {
            return Errno.EFAULT;
        }
        Span<byte> buffer = stackalloc byte[Chunk];
        while (pages != 0)
        {
            (int n, Error? error) = mm.MincoreVma(addr, buffer[..(int)Math.Min(pages, (ulong)Chunk)]);
            if (error is not null)
            {
                return error;
            }
            (int copied, _) = mm.CopyOut(ctx, (Addr)vectorAddr, buffer[..n], default);
            if (copied != n)
            {
                return Errno.EFAULT;
            }
            pages -= (ulong)n;
            vectorAddr += (ulong)n;
            addr += (ulong)n * Arch.PageSize;
        }
        return null;
    }

    // Linux's access_ok on x86-64: [start, start + length) ends at or below the top of the user
    // address space and does not wrap.
    private static bool UserRangeOk(ulong start, ulong length) => start + length >= start && start + length <= Arch.TaskSize;

    /// <summary>mlock(2) and mlock2(2) (flags: MLOCK_ONFAULT).</summary>
    public static Error? Mlock(IContext ctx, MemoryManager mm, ulong addr, ulong length, int flags = 0)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if ((flags & ~MLOCK_ONFAULT) != 0)
        {
            return Errno.EINVAL;
        }
        return mm.MLock(ctx, (Addr)addr, length, (flags & MLOCK_ONFAULT) != 0 ? MLockMode.Lazy : MLockMode.Eager);
    }

    /// <summary>munlock(2).</summary>
    public static Error? Munlock(IContext ctx, MemoryManager mm, ulong addr, ulong length)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.MLock(ctx, (Addr)addr, length, MLockMode.None);
    }

    /// <summary>mlockall(2): MCL_CURRENT and/or MCL_FUTURE, optionally with MCL_ONFAULT.</summary>
    public static Error? Mlockall(IContext ctx, MemoryManager mm, int flags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) != 0 || flags == MCL_ONFAULT)
        {
            return Errno.EINVAL;
        }
        var mode = (flags & MCL_ONFAULT) != 0 ? MLockMode.Lazy : MLockMode.Eager;
        return mm.MLockAll(ctx, new MLockAllOpts((flags & MCL_CURRENT) != 0, (flags & MCL_FUTURE) != 0, mode));
    }

    /// <summary>munlockall(2).</summary>
    public static Error? Munlockall(IContext ctx, MemoryManager mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.MLockAll(ctx, new MLockAllOpts(false, false, MLockMode.None));
    }

    /// <summary>msync(2): MS_ASYNC or MS_SYNC (not both), optionally MS_INVALIDATE.</summary>
    public static Error? Msync(IContext ctx, MemoryManager mm, ulong addr, ulong length, int flags)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if ((flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) != 0 || (flags & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC))
        {
            return Errno.EINVAL;
        }
        return mm.MSync(ctx, (Addr)addr, length, new MSyncOpts((flags & MS_SYNC) != 0, (flags & MS_INVALIDATE) != 0));
    }
}
