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

    private const int KnownMapFlags = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE |
        MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |
        MAP_FIXED_NOREPLACE | MAP_UNINITIALIZED;

    /// <summary>mmap(2). <paramref name="file"/> is the mapped file (ignored with MAP_ANONYMOUS; EBADF if missing without it).</summary>
    /// <returns>The mapping's address, or the errno.</returns>
    public static (ulong Result, Error? Error) Mmap(IContext ctx, MemoryManager mm, ulong addr, ulong length, int prot, int flags, IMmapSource? file = null, ulong offset = 0)
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
            int sizeShift = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
            if (!anonymous || sizeShift is not (0 or 21 or 30))
            {
                return (0, Errno.EINVAL);
            }
            hugePageSize = sizeShift == 30 ? 1UL << 30 : 2UL << 20;
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
        int type = flags & MAP_TYPE;
        bool isFixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
        bool droppable = anonymous && !hugeTlb && type == MAP_DROPPABLE;
        // Linux checks the mapping type only after choosing the address (and checking the right to
        // lock): a bad type reports ENOMEM/EEXIST/EPERM/EAGAIN from those first. A huge-page
        // mapping is of a file, so it takes a file's types.
        bool badType = anonymous && !hugeTlb
            ? type is not (MAP_SHARED or MAP_PRIVATE or MAP_DROPPABLE) || (type == MAP_SHARED && (flags & MAP_GROWSDOWN) != 0) ||
                (droppable && (flags & (MAP_LOCKED | MAP_GROWSDOWN)) != 0)
            : type is not (MAP_SHARED or MAP_SHARED_VALIDATE or MAP_PRIVATE);
        if ((!anonymous || hugeTlb) && type == MAP_SHARED_VALIDATE && (flags & ~KnownMapFlags) != 0)
        {
            return (0, Errno.EOPNOTSUPP);
        }
        bool isPrivate = type == MAP_PRIVATE || droppable;

        AccessType perms = AccessType.FromProt(prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
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
            // Huge pages are placed (and a fixed address must be aligned) at their own size.
            if (isFixed && (addr & (hugePageSize - 1)) != 0)
            {
                return (0, Errno.EINVAL);
            }
            ulong hugeLength = (rounded + hugePageSize - 1) & ~(hugePageSize - 1);
            Error? placement = hugeLength < rounded ? Errno.ENOMEM : mm.ProbeMMap(opts with { Length = hugeLength, GrowsDown = false });
            return (0, placement ?? (badType ? Errno.EINVAL : Errno.ENOMEM));
        }
        if (badType)
        {
            return (0, mm.ProbeMMap(opts with { GrowsDown = false }) ?? Errno.EINVAL);
        }
        if (!anonymous)
        {
            if (!file!.Readable)
            {
                return (0, Errno.EACCES);
            }
            if (!isPrivate && !file.Writable)
            {
                if (perms.Write)
                {
                    return (0, Errno.EACCES);
                }
                opts.MaxPerms = opts.MaxPerms with { Write = false };
            }
            Error? configureError = file.ConfigureMMap(ctx, ref opts);
            if (configureError is not null)
            {
                return (0, configureError);
            }
        }
        VmaHints hints = ((flags & MAP_NORESERVE) != 0 ? VmaHints.NoReserve : VmaHints.None) |
            ((flags & MAP_STACK) != 0 ? VmaHints.NoHugePage : VmaHints.None) |
            (droppable ? VmaHints.Droppable | VmaHints.NoReserve | VmaHints.DontDump : VmaHints.None);
        (Addr result, Error? error) = mm.MMap(ctx, opts, hints);
        return error is null ? (result.Value, null) : (0, error);
    }

    /// <summary>munmap(2).</summary>
    public static Error? Munmap(IContext ctx, MemoryManager mm, ulong addr, ulong length)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.MUnmap(ctx, (Addr)addr, length);
    }

    /// <summary>mprotect(2), including PROT_GROWSDOWN (PROT_GROWSUP, and both, are EINVAL on x86-64).</summary>
    public static Error? Mprotect(IContext ctx, MemoryManager mm, ulong addr, ulong length, int prot)
    {
        ArgumentNullException.ThrowIfNull(mm);
        bool growsDown = (prot & PROT_GROWSDOWN) != 0;
        bool growsUp = (prot & PROT_GROWSUP) != 0;
        bool unknownBits = (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) != 0;
        return mm.MProtect(ctx, (Addr)addr, length, AccessType.FromProt(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)), growsDown, growsUp, unknownBits);
    }

    /// <summary>mremap(2) with MREMAP_MAYMOVE, MREMAP_FIXED and MREMAP_DONTUNMAP.</summary>
    /// <returns>The mapping's (possibly new) address, or the errno.</returns>
    public static (ulong Result, Error? Error) Mremap(IContext ctx, MemoryManager mm, ulong oldAddr, ulong oldSize, ulong newSize, int flags, ulong newAddr)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0)
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

    /// <summary>mincore(2) into <paramref name="vector"/> (one byte per page).</summary>
    public static Error? Mincore(MemoryManager mm, ulong addr, ulong length, Span<byte> vector)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.Mincore((Addr)addr, length, vector);
    }

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
