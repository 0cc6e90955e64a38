using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platforms.SoftMmu;
using Warden.UserMem;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// A Warden <see cref="MemoryManager"/> (on the SoftMmu platform) as an oracle target: the memory
/// system calls through <see cref="MemorySyscalls"/>, writes and reads as a system call's
/// CopyOut/CopyIn, and the snapshot from its /proc/[pid]/maps text.
/// </summary>
/// <remarks>
/// Its address space is the window (from the lowest user address when the run has a brk region),
/// with the same two PROT_NONE guards the kernel targets keep; it places top-down from the high guard.
/// </remarks>
public sealed class WardenTarget : IOracleTarget
{
    /// <summary>Linux's usual vm.mmap_min_addr: the lowest address of a brk run's address space.</summary>
    private const ulong MinUserAddress = 0x1_0000;

    /// <summary>What an error that is not an errno is reported as.</summary>
    private const int NotAnErrno = 9999;

    private static readonly IContext s_ctx = Context.Background;
    private static readonly IOOpts s_force = new() { IgnorePermissions = true };
    // The kernel child's reads and writes come from its parent, through process_vm_readv/writev.
    private static readonly IOOpts s_remote = new() { Remote = true };

    private readonly MemoryFile _memory;
    private readonly MemoryManager _mm;
    private MemoryManager? _forked;

    /// <param name="window">The window (the kernel target's, for a brk run).</param>
    /// <param name="initialBrk">The kernel's initial break for a brk run; 0 otherwise.</param>
    /// <param name="heapStart">
    /// Where the kernel child's heap vma starts: Warden's brk makes and writes [heapStart, initialBrk)
    /// as the child's C library did, so that later growth expands it as the child's does. 0 for none.
    /// </param>
    public WardenTarget(OracleWindow window, ulong initialBrk = 0, ulong heapStart = 0)
    {
        Window = window;
        (MemoryFile? memory, Error? error) = MemoryFile.Create();
        _memory = memory ?? throw new InvalidOperationException($"MemoryFile.Create failed: {error}");
        ulong min = window.HasBrk ? MinUserAddress : window.Start;
        var platform = new SoftMmuPlatform(_memory, new SoftMmuOptions { MinUserAddress = new Addr(min), MaxUserAddress = new Addr(window.End) });
        var layout = new MmapLayout { MinAddress = min, MaxAddress = window.End, TopDownBase = window.OpEnd, BottomUpBase = window.OpStart };
        // mlock is held to what the kernel targets (this process and its children) may lock.
        var options = new MemoryManagerOptions
        {
            Layout = layout,
            CanLockMemory = HostLimits.CanLockMemory,
            Limits = ResourceLimits.Default with { MemLock = HostLimits.MemLock },
        };
        _mm = new MemoryManager(platform, options);
        int guard = LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_NORESERVE | LinuxMman.MAP_FIXED;
        foreach (ulong at in (ulong[])[window.Start, window.OpEnd])
        {
            (ulong result, Error? e) = MemorySyscalls.Mmap(s_ctx, _mm, at, window.Guard, LinuxMman.PROT_NONE, (ulong)guard);
            if (e is not null || result != at)
            {
                throw new InvalidOperationException($"warden: could not map the guard at 0x{at:x}: {e}");
            }
        }
        if (initialBrk != 0)
        {
            ulong heapEnd = Arch.PageRoundUp(initialBrk).Rounded;
            // The C library's heap is brk's own, made by brk as the child's was, so that later
            // growth expands it as the child's grows.
            _mm.BrkSetup(s_ctx, new Addr(heapStart != 0 && heapStart < heapEnd ? heapStart : initialBrk));
            if (MemorySyscalls.Brk(s_ctx, _mm, initialBrk) != initialBrk)
            {
                throw new InvalidOperationException($"warden: could not make the C library's heap at 0x{heapStart:x}");
            }
            if (heapStart != 0 && heapStart < heapEnd)
            {
                _mm.CopyOut(s_ctx, new Addr(heapStart), [1], default);
            }

            // The kernel child places mappings in its whole address space and the harness moves
            // them into the window; Warden must choose inside the window or the brk region too, so
            // the rest of its address space below the window is reserved, right up to the brk
            // region's end (a gap there let Warden place a mapping that straddled the region's end
            // when the window was full: brk seeds 20134 and 20150 of a long run).
            int reserve = LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_NORESERVE | LinuxMman.MAP_FIXED;
            ulong lowEnd = heapStart != 0 ? heapStart : heapEnd;
            ulong highStart = window.BrkEnd;
            foreach ((ulong from, ulong to) in (ReadOnlySpan<(ulong, ulong)>)[(MinUserAddress, lowEnd), (highStart, window.Start)])
            {
                if (from < to)
                {
                    MemorySyscalls.Mmap(s_ctx, _mm, from, to - from, LinuxMman.PROT_NONE, (ulong)reserve);
                }
            }
        }
    }

    public string Name => "warden";

    public OracleWindow Window { get; }

    public bool PlacesInWindow => true;

    public (long Result, int Errno) Mmap(ulong addr, ulong len, int prot, int flags) =>
        Result(MemorySyscalls.Mmap(s_ctx, _mm, addr, len, (ulong)prot, (ulong)flags));

    public (long Result, int Errno) Munmap(ulong addr, ulong len) => Result(MemorySyscalls.Munmap(s_ctx, _mm, addr, len));

    public (long Result, int Errno) Mprotect(ulong addr, ulong len, int prot) => Result(MemorySyscalls.Mprotect(s_ctx, _mm, addr, len, (ulong)prot));

    public (long Result, int Errno) Mremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr) =>
        Result(MemorySyscalls.Mremap(s_ctx, _mm, oldAddr, oldLen, newLen, (ulong)flags, newAddr));

    public (long Result, int Errno) Madvise(ulong addr, ulong len, int advice) => Result(MemorySyscalls.Madvise(s_ctx, _mm, addr, len, advice));

    public ulong Brk(ulong addr) => MemorySyscalls.Brk(s_ctx, _mm, addr);

    public (long Result, int Errno) Mincore(ulong addr, ulong len, Span<byte> vector) => Result(_mm.Mincore((Addr)addr, len, vector));

    public (long Result, int Errno) Mlock(ulong addr, ulong len, int flags) => Result(MemorySyscalls.Mlock(s_ctx, _mm, addr, len, flags));

    public (long Result, int Errno) Munlock(ulong addr, ulong len) => Result(MemorySyscalls.Munlock(s_ctx, _mm, addr, len));

    public (long Result, int Errno) Mlockall(int flags) => Result(MemorySyscalls.Mlockall(s_ctx, _mm, flags));

    public (long Result, int Errno) Munlockall() => Result(MemorySyscalls.Munlockall(s_ctx, _mm));

    public bool CanLockAll => true;

    public (long Count, int Errno) Fork(ulong addr, ReadOnlySpan<byte> data)
    {
        if (_forked is not null)
        {
            throw new InvalidOperationException("warden: one forked child at a time.");
        }
        (MemoryManager? child, Error? error) = _mm.Fork(s_ctx);
        if (child is null)
        {
            throw new InvalidOperationException($"warden: fork failed: {error}");
        }
        _forked = child;
        (int count, Error? writeError) = child.CopyOut(s_ctx, new Addr(addr), data, s_remote);
        return (count, ErrnoOf(writeError));
    }

    public ulong[] EndFork()
    {
        MemoryManager child = _forked ?? throw new InvalidOperationException("warden: no forked child to end.");
        _forked = null;
        using (child)
        {
            child.CheckInvariants();
            var digests = new ulong[Window.SnapshotPageCount];
            var page = new byte[Arch.PageSize];
            int i = 0;
            foreach ((ulong start, ulong end) in Window.SnapshotRegions)
            {
                for (ulong at = start; at < end; at += Arch.PageSize)
                {
                    (int count, Error? error) = child.CopyIn(s_ctx, new Addr(at), page, s_force);
                    digests[i++] = error is null && count == page.Length ? PageDigest.Of(page) : 0;
                }
            }
            return digests;
        }
    }

    public (long Result, int Errno) MmapLow32(ulong addr, ulong len, int prot, int flags)
    {
        if (!Window.HasBrk)
        {
            throw new InvalidOperationException("warden: MAP_32BIT placement needs a brk run's address space, which reaches below 2 GiB.");
        }
        // The reservation that keeps policy placements in the window covers the 32-bit area: open
        // it for this call only, and close it again after.
        int reserve = LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS | LinuxMman.MAP_NORESERVE | LinuxMman.MAP_FIXED;
        MemorySyscalls.Munmap(s_ctx, _mm, Low32Start, Low32End - Low32Start);
        try
        {
            (long result, int errno) = Result(MemorySyscalls.Mmap(s_ctx, _mm, addr, len, (ulong)prot, (ulong)flags));
            if (errno == 0)
            {
                MemorySyscalls.Munmap(s_ctx, _mm, (ulong)result, KernelTargetBase.AlignedLength(len)!.Value);
            }
            return (result, errno);
        }
        finally
        {
            MemorySyscalls.Mmap(s_ctx, _mm, Low32Start, Low32End - Low32Start, LinuxMman.PROT_NONE, (ulong)reserve);
        }
    }

    // The area x86-64 Linux places MAP_32BIT mappings in (the second GiB), above every brk region.
    private const ulong Low32Start = 0x4000_0000;
    private const ulong Low32End = 0x8000_0000;

    public IReadOnlyList<VmaState> Vmas() => VmaState.Parse(_mm.SmapsText(s_ctx), Window);

    public (long Count, int Errno) Write(ulong addr, ReadOnlySpan<byte> data)
    {
        (int count, Error? error) = _mm.CopyOut(s_ctx, new Addr(addr), data, s_remote);
        return (count, ErrnoOf(error));
    }

    public (long Count, int Errno) Read(ulong addr, Span<byte> buffer)
    {
        (int count, Error? error) = _mm.CopyIn(s_ctx, new Addr(addr), buffer, s_remote);
        return (count, ErrnoOf(error));
    }

    public IReadOnlyList<PageState> Snapshot()
    {
        // After every operation the oracle compares: the manager's own books must balance too.
        _mm.CheckInvariants();
        return MapsParser.Pages(_mm.MapsText(s_ctx), Window);
    }

    public string WindowMapsText() => MapsParser.WindowText(_mm.MapsText(s_ctx), Window);

    public byte[]? PageContents(ulong page)
    {
        var buffer = new byte[Arch.PageSize];
        (int count, Error? error) = _mm.CopyIn(s_ctx, new Addr(page), buffer, s_force);
        return error is null && count == buffer.Length ? buffer : null;
    }

    public bool TryReadPages(ulong start, Span<byte> into)
    {
        (int count, Error? error) = _mm.CopyIn(s_ctx, new Addr(start), into, s_force);
        return error is null && count == into.Length;
    }

    public void Relocate(ulong from, ulong len, ulong to) =>
        throw new InvalidOperationException("Warden places its mappings inside its window; there is nothing to relocate.");

    public void UndoPending(ulong backTo, ulong backLen)
    {
        // Nothing is ever placed outside the window.
    }

    public void DiscardPending()
    {
        // Nothing is ever placed outside the window.
    }

    public void Dispose()
    {
        _forked?.Dispose();
        _mm.Dispose();
        _memory.Dispose();
    }

    private static (long, int) Result((ulong Result, Error? Error) r) => r.Error is null ? ((long)r.Result, 0) : (-1, ErrnoOf(r.Error));

    private static (long, int) Result(Error? error) => error is null ? (0, 0) : (-1, ErrnoOf(error));

    private static int ErrnoOf(Error? error) => error switch
    {
        null => 0,
        Errno errno => errno.Number,
        _ => NotAnErrno,
    };
}
