using Warden.HostArch;
using Warden.Mm;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// What the two kernel targets share: the window's reservation, the safety checks that keep every op
/// inside it, the handling of mappings the kernel placed outside it, x86's read semantics, and the
/// snapshot. Derived classes supply the raw system calls (in this process, or in a child).
/// </summary>
public abstract class KernelTargetBase : IOracleTarget
{
    protected const int EFAULT = 14;

    /// <summary>Above every user address (x86-64's TASK_SIZE is below 2^47; 2^56 with 5-level paging).</summary>
    private const ulong BeyondUserSpace = 1UL << 57;

    private (ulong Addr, ulong Len)? _pending;
    private bool _reserved;

    protected KernelTargetBase(OracleWindow window) => Window = window;

    public abstract string Name { get; }

    public OracleWindow Window { get; }

    public bool PlacesInWindow => false;

    protected abstract (long Result, int Errno) SysMmap(ulong addr, ulong len, int prot, int flags);

    protected abstract (long Result, int Errno) SysMunmap(ulong addr, ulong len);

    protected abstract (long Result, int Errno) SysMprotect(ulong addr, ulong len, int prot);

    protected abstract (long Result, int Errno) SysMremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr);

    protected abstract (long Result, int Errno) SysMadvise(ulong addr, ulong len, int advice);

    protected abstract ulong SysBrk(ulong addr);

    /// <summary>mincore into <paramref name="vector"/>; these calls throw <see cref="NotSupportedException"/> on targets without them.</summary>
    protected virtual (long Result, int Errno) SysMincore(ulong addr, ulong len, Span<byte> vector) => throw NotWide();

    protected virtual (long Result, int Errno) SysMlock(ulong addr, ulong len, int flags) => throw NotWide();

    protected virtual (long Result, int Errno) SysMunlock(ulong addr, ulong len) => throw NotWide();

    protected virtual (long Result, int Errno) SysMlockall(int flags) => throw NotWide();

    protected virtual (long Result, int Errno) SysMunlockall() => throw NotWide();

    /// <summary>The target process's whole /proc/[pid]/smaps.</summary>
    protected virtual string SmapsText() => throw NotWide();

    public virtual bool CanLockAll => false;

    /// <summary>process_vm_writev on the target process: stops at the first page the kernel refuses.</summary>
    protected abstract (long Count, int Errno) VmWrite(ulong addr, ReadOnlySpan<byte> data);

    /// <summary>process_vm_readv on the target process: stops at the first page without read permission.</summary>
    protected abstract (long Count, int Errno) VmRead(ulong addr, Span<byte> buffer);

    /// <summary>Reads through /proc/[pid]/mem (ignores protections); <c>false</c> if the kernel refused.</summary>
    protected abstract bool MemRead(ulong addr, Span<byte> buffer);

    /// <summary>The target process's whole /proc/[pid]/maps.</summary>
    protected abstract string MapsText();

    /// <summary>Reserves the window (failing if anything is there), then empties its op area.</summary>
    protected void Reserve()
    {
        (long result, int errno) = SysMmap(Window.Start, Window.Size, LinuxMman.PROT_NONE,
            LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_NORESERVE | LinuxMman.MAP_FIXED_NOREPLACE);
        if (errno != 0 || (ulong)result != Window.Start)
        {
            throw new InvalidOperationException($"{Name}: could not reserve the window at 0x{Window.Start:x} (errno {errno}, result 0x{result:x}).");
        }
        _reserved = true;
        (_, errno) = SysMunmap(Window.OpStart, Window.OpEnd - Window.OpStart);
        if (errno != 0)
        {
            throw new InvalidOperationException($"{Name}: could not empty the op area (errno {errno}).");
        }
    }

    public (long Result, int Errno) Mmap(ulong addr, ulong len, int prot, int flags)
    {
        EnsureNoPending();
        bool placed = (flags & (LinuxMman.MAP_FIXED | LinuxMman.MAP_FIXED_NOREPLACE)) == 0;
        if (!placed)
        {
            RequireSafe(MapLengthFails(len) || InOpArea(addr, len), $"mmap(0x{addr:x}, 0x{len:x}) at a fixed address");
        }
        (long result, int errno) = SysMmap(addr, len, prot, flags);
        if (errno == 0 && placed)
        {
            NotePlacement((ulong)result, AlignedLength(len)!.Value);
        }
        return (result, errno);
    }

    public (long Result, int Errno) Munmap(ulong addr, ulong len)
    {
        EnsureNoPending();
        RequireSafe(len == 0 || MapLengthFails(len) || InOpArea(addr, len), $"munmap(0x{addr:x}, 0x{len:x})");
        return SysMunmap(addr, len);
    }

    public (long Result, int Errno) Mprotect(ulong addr, ulong len, int prot)
    {
        EnsureNoPending();
        RequireSafe(len == 0 || EndWraps(addr, len) || InOpArea(addr, len), $"mprotect(0x{addr:x}, 0x{len:x})");
        return SysMprotect(addr, len, prot);
    }

    public (long Result, int Errno) Madvise(ulong addr, ulong len, int advice)
    {
        EnsureNoPending();
        RequireSafe(len == 0 || EndWraps(addr, len) || InOpArea(addr, len), $"madvise(0x{addr:x}, 0x{len:x})");
        return SysMadvise(addr, len, advice);
    }

    public (long Result, int Errno) Mremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr)
    {
        EnsureNoPending();
        string what = $"mremap(0x{oldAddr:x}, 0x{oldLen:x}, 0x{newLen:x}, {flags}, 0x{newAddr:x})";
        // A new length the kernel rejects up front makes the whole call harmless.
        if (!MapLengthFails(newLen))
        {
            // The old range is unmapped (or shrunk) only inside itself: it must be in the op area,
            // empty (page-aligns to 0: the shared-duplicate case) or too long to pass the kernel's checks.
            ulong? oldAligned = AlignedLength(oldLen);
            RequireSafe(oldAligned is null or 0 || oldLen >= BeyondUserSpace || InOpArea(oldAddr, oldLen), what);
            if ((flags & LinuxMman.MREMAP_FIXED) != 0)
            {
                RequireSafe(InOpArea(newAddr, newLen), what);
            }
            // Growth in place stops at the window's high guard; a move without MREMAP_FIXED goes where
            // the kernel chooses, in free space, and is relocated below.
        }
        (long result, int errno) = SysMremap(oldAddr, oldLen, newLen, flags, newAddr);
        if (errno == 0 && (flags & LinuxMman.MREMAP_FIXED) == 0)
        {
            NotePlacement((ulong)result, AlignedLength(newLen)!.Value);
        }
        return (result, errno);
    }

    public ulong Brk(ulong addr)
    {
        EnsureNoPending();
        return SysBrk(addr);
    }

    public (long Result, int Errno) Mincore(ulong addr, ulong len, Span<byte> vector)
    {
        EnsureNoPending();
        // mincore only writes the vector, but it must not be asked about the runtime's memory either:
        // a range inside the window, or one the kernel rejects before looking (unaligned, wrapping).
        RequireSafe(len == 0 || (addr & Arch.PageMask) != 0 || EndWraps(addr, len) || len >= BeyondUserSpace || Window.Contains(addr, len), $"mincore(0x{addr:x}, 0x{len:x})");
        RequireSafe(len >= BeyondUserSpace || EndWraps(addr, len) || (ulong)vector.Length >= AlignedLength(len) / Arch.PageSize, $"mincore(0x{addr:x}, 0x{len:x}) with a {vector.Length}-byte vector");
        return SysMincore(addr, len, vector);
    }

    public (long Result, int Errno) Mlock(ulong addr, ulong len, int flags)
    {
        EnsureNoPending();
        RequireSafe(len == 0 || EndWraps(addr, len) || InOpArea(addr, len), $"mlock(0x{addr:x}, 0x{len:x})");
        return SysMlock(addr, len, flags);
    }

    public (long Result, int Errno) Munlock(ulong addr, ulong len)
    {
        EnsureNoPending();
        RequireSafe(len == 0 || EndWraps(addr, len) || InOpArea(addr, len), $"munlock(0x{addr:x}, 0x{len:x})");
        return SysMunlock(addr, len);
    }

    public (long Result, int Errno) Mlockall(int flags)
    {
        EnsureNoPending();
        RequireSafe(CanLockAll, "mlockall");
        return SysMlockall(flags);
    }

    public (long Result, int Errno) Munlockall()
    {
        EnsureNoPending();
        RequireSafe(CanLockAll, "munlockall");
        return SysMunlockall();
    }

    public (long Count, int Errno) Fork(ulong addr, ReadOnlySpan<byte> data)
    {
        EnsureNoPending();
        RequireSafe(CanLockAll && Window.Contains(addr, (ulong)data.Length), $"fork, the child writing at 0x{addr:x}+0x{data.Length:x}");
        (long count, int _) = SysFork(addr, data);
        count = Math.Max(count, 0);
        return count == data.Length ? (count, 0) : (count, EFAULT);
    }

    public ulong[] EndFork() => SysEndFork();

    /// <summary>fork(2) and the child's write (process_vm_writev in the child): its count (or -1) and errno.</summary>
    protected virtual (long Count, int Errno) SysFork(ulong addr, ReadOnlySpan<byte> data) => throw NotWide();

    /// <summary>The forked child's page digests over the snapshot regions; it exits.</summary>
    protected virtual ulong[] SysEndFork() => throw NotWide();

    public (long Result, int Errno) MmapLow32(ulong addr, ulong len, int prot, int flags)
    {
        EnsureNoPending();
        RequireSafe(CanLockAll && (flags & LinuxMman.MAP_32BIT) != 0 && (flags & (LinuxMman.MAP_FIXED | LinuxMman.MAP_FIXED_NOREPLACE)) == 0, $"mmap(0x{addr:x}, 0x{len:x}, MAP_32BIT)");
        (long result, int errno) = SysMmap(addr, len, prot, flags);
        if (errno == 0)
        {
            // Not fixed, so it replaced nothing: unmapping it leaves the address space as it was.
            SysMunmap((ulong)result, AlignedLength(len)!.Value);
        }
        return (result, errno);
    }

    public IReadOnlyList<VmaState> Vmas() => VmaState.Parse(SmapsText(), Window);

    public (long Count, int Errno) Write(ulong addr, ReadOnlySpan<byte> data)
    {
        EnsureNoPending();
        RequireSafe(Window.Contains(addr, (ulong)data.Length), $"write(0x{addr:x}, 0x{data.Length:x})");
        if (data.IsEmpty)
        {
            return (0, 0);
        }
        (long count, int _) = VmWrite(addr, data);
        return count == data.Length ? (count, 0) : (count, EFAULT);
    }

    /// <summary>
    /// A read as copy_from_user sees it on x86 (without protection keys): a page mapped with any of r/w/x
    /// is readable. process_vm_readv refuses pages without PROT_READ, so those are read through
    /// /proc/[pid]/mem instead; an unmapped or PROT_NONE page ends the read.
    /// </summary>
    public (long Count, int Errno) Read(ulong addr, Span<byte> buffer)
    {
        EnsureNoPending();
        RequireSafe(Window.Contains(addr, (ulong)buffer.Length), $"read(0x{addr:x}, 0x{buffer.Length:x})");
        int done = 0;
        List<MapsParser.Line>? lines = null;
        while (done < buffer.Length)
        {
            (long n, int _) = VmRead(addr + (ulong)done, buffer[done..]);
            done += (int)n;
            if (done == buffer.Length)
            {
                break;
            }
            ulong at = addr + (ulong)done;
            ulong page = Arch.PageRoundDown(at);
            lines ??= MapsParser.Parse(MapsText());
            if (!AnyAccess(lines, page))
            {
                break;
            }
            int chunk = (int)Math.Min((ulong)(buffer.Length - done), page + Arch.PageSize - at);
            if (!MemRead(at, buffer.Slice(done, chunk)))
            {
                break;
            }
            done += chunk;
        }
        return (done, done == buffer.Length ? 0 : EFAULT);
    }

    public IReadOnlyList<PageState> Snapshot() => MapsParser.Pages(MapsText(), Window);

    public string WindowMapsText() => MapsParser.WindowText(MapsText(), Window);

    public byte[]? PageContents(ulong page)
    {
        var buffer = new byte[Arch.PageSize];
        return MemRead(page, buffer) ? buffer : null;
    }

    public bool TryReadPages(ulong start, Span<byte> into) => MemRead(start, into);

    public void Relocate(ulong from, ulong len, ulong to)
    {
        if (_pending != (from, len))
        {
            throw new InvalidOperationException($"{Name}: no pending mapping 0x{from:x}+0x{len:x} to relocate.");
        }
        RequireSafe(InOpArea(to, len), $"relocate to 0x{to:x}+0x{len:x}");
        (long result, int errno) = SysMremap(from, len, len, LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED, to);
        if (errno != 0 || (ulong)result != to)
        {
            DiscardPending();
            throw new InvalidOperationException($"{Name}: relocating 0x{from:x}+0x{len:x} to 0x{to:x} failed (errno {errno}).");
        }
        _pending = null;
    }

    public void UndoPending(ulong backTo, ulong backLen)
    {
        if (backLen == 0 || _pending is not (ulong addr, ulong len))
        {
            DiscardPending();
            return;
        }
        RequireSafe(InOpArea(backTo, backLen), $"move back to 0x{backTo:x}+0x{backLen:x}");
        _pending = null;
        (long result, int errno) = SysMremap(addr, len, backLen, LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED, backTo);
        if (errno != 0 || (ulong)result != backTo)
        {
            SysMunmap(addr, len);
            throw new InvalidOperationException($"{Name}: moving 0x{addr:x}+0x{len:x} back to 0x{backTo:x} failed (errno {errno}).");
        }
    }

    public void DiscardPending()
    {
        if (_pending is (ulong addr, ulong len))
        {
            _pending = null;
            SysMunmap(addr, len);
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        DiscardPending();
        if (_reserved)
        {
            _reserved = false;
            SysMunmap(Window.Start, Window.Size);
            if (Window.HasBrk)
            {
                SysMunmap(Window.BrkBase, OracleWindow.BrkRegionSize);
            }
        }
    }

    private NotSupportedException NotWide() => new($"{Name} does not serve this call of the wider oracle; use ChildProcessKernelTarget.");

    private void NotePlacement(ulong addr, ulong len)
    {
        if (!Window.Contains(addr, len))
        {
            _pending = (addr, len);
        }
    }

    private void EnsureNoPending()
    {
        if (_pending is not null)
        {
            throw new InvalidOperationException($"{Name}: a mapping the kernel placed outside the window was neither relocated nor discarded.");
        }
    }

    /// <summary>Whether the pages <c>[addr, addr + len)</c> touches, rounded out to whole pages, are in the op area or brk region.</summary>
    private bool InOpArea(ulong addr, ulong len)
    {
        if (len > ulong.MaxValue - addr)
        {
            return false;
        }
        (ulong end, bool ok) = Arch.PageRoundUp(addr + len);
        return ok && Window.InOpArea(Arch.PageRoundDown(addr), end - Arch.PageRoundDown(addr));
    }

    private void RequireSafe(bool safe, string what)
    {
        if (!safe)
        {
            throw new InvalidOperationException($"{Name}: {what} could touch memory outside the oracle window; the generator must not make it.");
        }
    }

    private static bool AnyAccess(List<MapsParser.Line> lines, ulong page)
    {
        foreach (MapsParser.Line line in lines)
        {
            if (page >= line.Start && page < line.End)
            {
                return line.Perms[0] == 'r' || line.Perms[1] == 'w' || line.Perms[2] == 'x';
            }
        }
        return false;
    }

    /// <summary>The page-aligned length, or <c>null</c> when aligning overflows.</summary>
    internal static ulong? AlignedLength(ulong len) => len > ulong.MaxValue - Arch.PageMask ? null : Arch.PageRoundDown(len + Arch.PageMask);

    /// <summary>Lengths mmap, munmap and mremap reject before looking at any mapping (0 only for mmap/mremap's new length).</summary>
    private static bool MapLengthFails(ulong len) => len == 0 || len >= BeyondUserSpace || AlignedLength(len) is null;

    /// <summary>mprotect and madvise fail (EINVAL/ENOMEM) before touching anything when the page-aligned end wraps.</summary>
    private static bool EndWraps(ulong addr, ulong len)
    {
        ulong? aligned = AlignedLength(len);
        return aligned is null || aligned.Value > ulong.MaxValue - addr;
    }
}
