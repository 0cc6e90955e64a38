using Warden.HostArch;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// Which generated calls are not sent (to either side): those that could change the child's own
/// mappings (it must stay alive and unchanged, so its mirror stays exact), and those that could make
/// the child (and the mirror) populate more than <see cref="PopulateCap"/> of memory on a shared machine.
/// </summary>
public static class KernelFuzzGuard
{
    /// <summary>The most memory one call may make resident.</summary>
    public const ulong PopulateCap = 64UL << 20;

    private const int MADV_WILLNEED = 3, MADV_POPULATE_READ = 22, MADV_POPULATE_WRITE = 23, MADV_COLLAPSE = 25;
    private const int MADV_HWPOISON = 100, MADV_SOFT_OFFLINE = 101;

    /// <summary>Why <paramref name="c"/> is not sent, or <see langword="null"/> to send it.</summary>
    /// <param name="c">The call.</param>
    /// <param name="s">The run's state.</param>
    /// <param name="kernelMaps">The child's maps now (read only if needed).</param>
    public static string? WhyNot(FuzzCall c, KernelFuzzState s, Func<List<FuzzMapsLine>> kernelMaps)
    {
        switch (c.Number)
        {
            case Sysno.Mmap:
            {
                ulong flags = c.A3;
                ulong length = RoundedLength(c.A1);
                if ((flags & MAP_FIXED) != 0 && (flags & MAP_FIXED_NOREPLACE) == 0 && Hits(s, c.A0, c.A1))
                {
                    return "maps over the child";
                }
                if (s.Privileged && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0 && c.A0 < s.DacMinAddress)
                {
                    // Root has CAP_SYS_RAWIO and may map below vm.mmap_min_addr, even at 0; Warden
                    // models no such capability.
                    return "fixed below mmap_min_addr as root";
                }
                bool populates = (flags & (MAP_POPULATE | MAP_LOCKED)) != 0 || s.LockedEver;
                return populates && length > PopulateCap ? "would populate too much" : null;
            }
            case Sysno.Munmap:
            case Sysno.Mprotect:
                if (Hits(s, c.A0, c.A1))
                {
                    return "changes the child";
                }
                // mprotect making a locked private mapping writable populates it.
                return c.Number == Sysno.Mprotect && s.LockedEver && RoundedLength(c.A1) > PopulateCap ? "would populate too much" : null;
            case Sysno.Madvise:
            {
                if (Hits(s, c.A0, c.A1))
                {
                    return "changes the child";
                }
                int advice = (int)c.A2;
                if (s.Privileged && advice is MADV_HWPOISON or MADV_SOFT_OFFLINE)
                {
                    // As root these take real pages of the machine out of service.
                    return "poisons the host's memory";
                }
                bool populates = advice is MADV_WILLNEED or MADV_POPULATE_READ or MADV_POPULATE_WRITE or MADV_COLLAPSE;
                return populates && Accessible(kernelMaps(), c.A0, c.A1) > PopulateCap ? "would populate too much" : null;
            }
            case Sysno.Mremap:
            {
                // An old length that rounds to 0 leaves the old mapping alone (it duplicates a shared one).
                if (RoundedLength(c.A1) != 0 && Hits(s, c.A0, c.A1))
                {
                    return "changes the child";
                }
                if ((c.A3 & MREMAP_FIXED) != 0 && (Hits(s, c.A4, c.A2) || (s.Privileged && c.A4 < s.DacMinAddress)))
                {
                    return "moves over the child";
                }
                return s.LockedEver && RoundedLength(c.A2) > PopulateCap ? "would populate too much" : null;
            }
            case Sysno.Brk:
                if (c.A0 >= s.HeapStart && c.A0 < s.InitialBrk)
                {
                    return "frees the child's heap";
                }
                return s.LockedEver && c.A0 > s.Brk && c.A0 - s.Brk > PopulateCap ? "would populate too much" : null;
            case Sysno.Mincore:
            {
                ulong pages = RoundedLength(c.A1) / Arch.PageSize;
                ulong vector = c.A2;
                bool inBuffer = vector >= s.VectorAddress && vector - s.VectorAddress <= (ulong)s.VectorSize &&
                    pages <= (ulong)s.VectorSize - (vector - s.VectorAddress);
                if (inBuffer)
                {
                    return null;
                }
                if (vector + pages >= vector && s.HitsProtected(vector, vector + pages))
                {
                    return "writes over the child";
                }
                // A write below a grows-down vma grows it, on both sides; not below the child's own
                // stack, which would then differ from the mirror's (the mirror's stack is a copy).
                const ulong Reach = 16UL << 20;
                return vector < s.StackStart && s.StackStart - vector <= Reach ? "writes below the child's stack" : null;
            }
            case Sysno.Munlock:
                return HitsSpecial(s, c.A0, c.A1) ? "locks a special mapping" : null;
            case Sysno.Msync:
                // msync sees whether a vma is locked (EBUSY); the kernel's special mappings never are.
                return HitsSpecial(s, c.A0, c.A1) ? "syncs a special mapping" : null;
            case Sysno.Mlock:
            case Sysno.Mlock2:
            {
                if (HitsSpecial(s, c.A0, c.A1))
                {
                    // The kernel never locks vvar or the vdso; their placeholders would be locked and split.
                    return "locks a special mapping";
                }
                // Linux cannot make a droppable vma lock-on-fault, so it populates it instead.
                bool onFault = c.Number == Sysno.Mlock2 && ((int)c.A2 & MLOCK_ONFAULT) != 0 && !s.DroppableEver;
                return !onFault && Accessible(kernelMaps(), c.A0, c.A1) > PopulateCap ? "would populate too much" : null;
            }
            case Sysno.Mlockall:
            {
                int flags = (int)c.A0;
                // MCL_ONFAULT spares only the vmas it can lock; a droppable one is populated (seed 22082).
                bool populates = (flags & MCL_CURRENT) != 0 && ((flags & MCL_ONFAULT) == 0 || s.DroppableEver);
                return populates && Accessible(kernelMaps(), 0, Arch.TaskSize) > PopulateCap ? "would populate too much" : null;
            }
            default:
                return null;
        }
    }

    // A successful mremap takes the pages it keeps to their new place, paged-out ones too (an old
    // length of 0 maps the same shared pages a second time): kernel fuzz seed 12254.
    private static void CarryPagedOut(ulong old, ulong oldLength, ulong newLength, ulong to, KernelFuzzState s)
    {
        const ulong Mask = Arch.PageSize - 1;
        ulong oldLen = (oldLength + Mask) & ~Mask, newLen = (newLength + Mask) & ~Mask;
        ulong kept = oldLen == 0 ? newLen : Math.Min(oldLen, newLen);
        if (to == old || kept == 0)
        {
            return;
        }
        foreach ((ulong start, ulong end) in s.PagedOut.ToArray())
        {
            ulong from = Math.Max(start, old), until = Math.Min(end, old + kept);
            if (from < until)
            {
                s.PagedOut.Add((to + (from - old), to + (until - old)));
            }
        }
    }

    /// <summary>Records what a call the kernel accepted means for later calls.</summary>
    public static void Note(FuzzCall c, long kernel, KernelFuzzState s)
    {
        if (c.Number == Sysno.Madvise && (int)c.A2 == MADV_PAGEOUT && kernel is 0 or -12 /* ENOMEM: a hole, the rest done */)
        {
            s.PagedOut.Add((c.A0, c.A0 + c.A1));
        }
        if (kernel < 0 && kernel >= -4095)
        {
            return;
        }
        switch (c.Number)
        {
            case Sysno.Mmap:
                s.Mapped.Add((ulong)kernel);
                s.LockedEver |= (c.A3 & MAP_LOCKED) != 0;
                s.DroppableEver |= (c.A3 & MAP_TYPE) == MAP_DROPPABLE;
                if ((c.A3 & MAP_GROWSDOWN) != 0)
                {
                    s.GrowsDown.Add((ulong)kernel);
                }
                break;
            case Sysno.Mremap:
                s.Mapped.Add((ulong)kernel);
                CarryPagedOut(c.A0, c.A1, c.A2, (ulong)kernel, s);
                break;
            case Sysno.Brk:
                s.Brk = (ulong)kernel;
                break;
            case Sysno.Mlock:
            case Sysno.Mlock2:
                s.LockedEver = true;
                break;
            case Sysno.Mlockall:
                s.LockedEver = true;
                s.FutureOnFault = ((int)c.A0 & (MCL_FUTURE | MCL_ONFAULT)) == (MCL_FUTURE | MCL_ONFAULT);
                s.Future = ((int)c.A0 & MCL_FUTURE) != 0;
                break;
            case Sysno.Munlockall:
                s.FutureOnFault = false;
                s.Future = false;
                break;
        }
    }

    // Linux rounds a length up to pages; a length that wraps rounds to 0.
    private static ulong RoundedLength(ulong length) => (length + Arch.PageSize - 1) & ~(ulong)Arch.PageMask;

    /// <summary>Whether the pages of [addr, addr + length) meet a protected mapping; a wrapping range touches nothing.</summary>
    private static bool Hits(KernelFuzzState s, ulong addr, ulong length)
    {
        ulong start = addr & ~(ulong)Arch.PageMask;
        ulong end = start + RoundedLength(length + (addr - start));
        return end > start && s.HitsProtected(start, end);
    }

    private static bool HitsSpecial(KernelFuzzState s, ulong addr, ulong length)
    {
        ulong start = addr & ~(ulong)Arch.PageMask;
        ulong end = start + RoundedLength(length + (addr - start));
        if (end <= start)
        {
            return false;
        }
        foreach ((ulong a, ulong b) in s.Special)
        {
            if (a < end && start < b)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The accessible (not PROT_NONE) mapped bytes in the pages of [addr, addr + length), as mlock rounds it.</summary>
    private static ulong Accessible(List<FuzzMapsLine> maps, ulong addr, ulong length)
    {
        ulong start = addr & ~(ulong)Arch.PageMask;
        ulong end = start + RoundedLength(length + (addr - start));
        if (end <= start)
        {
            return 0;
        }
        ulong total = 0;
        foreach (FuzzMapsLine line in maps)
        {
            if (line.Prot != 0 && line.Intersects(start, end))
            {
                total += Math.Min(line.End, end) - Math.Max(line.Start, start);
            }
        }
        return total;
    }
}
