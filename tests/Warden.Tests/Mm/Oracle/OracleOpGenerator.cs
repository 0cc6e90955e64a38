using Warden.HostArch;
using Warden.Mm;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Makes a seeded sequence of ops, one at a time: mostly valid calls on what is mapped, with a good
/// share of edge cases (unaligned addresses, zero and huge lengths, ranges across mappings and holes,
/// MAP_FIXED_NOREPLACE onto mappings, every mremap mode, PROT_GROWSDOWN, invalid flags, grows-down
/// mappings). It keeps a page model of the window from the results it is shown (<see cref="Observe"/>)
/// and from snapshots (<see cref="Resync"/>), so the same seed and the same results give the same ops.
/// </summary>
/// <remarks>
/// Every range an op could change lies inside the window's op area (or brk region), or is one the
/// kernel rejects before looking at any mapping (a zero length, a length beyond user space, an end that
/// wraps): <see cref="KernelTargetBase"/> refuses anything else.
/// </remarks>
public sealed class OracleOpGenerator
{
    private const ulong Page = Arch.PageSize;
    private const int HotZonePages = 1024;
    private const ulong MaxPlacedLength = 2UL << 20;

    private readonly Random _forkRandom;
    private Random _random;
    private readonly bool _wide;
    private readonly bool _wholeProcess;
    private readonly OracleWindow _window;
    private readonly ulong _initialBrk;
    private readonly PageState[] _pages;
    private readonly List<ulong> _growsDown = [];
    private List<(ulong Start, ulong End, PageState State)>? _runs;
    private ulong _brk;
    private bool _forkLive;

    /// <param name="seed">The seed of the sequence.</param>
    /// <param name="window">The canonical window (with a brk region for brk runs).</param>
    /// <param name="initialBrk">The exact initial break of a brk run (0 without brk ops).</param>
    /// <param name="wide">
    /// Whether to make the wider kinds too (mincore, mlock, mlock2, munlock, mlockall, munlockall, and
    /// MADV_FREE, MADV_POPULATE_READ/WRITE, MADV_REMOVE on shared memory): for targets whose
    /// <see cref="IOracleTarget.CanLockAll"/> is set. A classic sequence is the same with or without this
    /// parameter's existence: its seeds keep their meaning.
    /// </param>
    /// <param name="wholeProcess">
    /// With <paramref name="wide"/>: whether to make the calls that act on the whole process too
    /// (mlockall, munlockall, MAP_32BIT placements, fork and the fork advice): not for a target in the
    /// test process itself. Fork ops come from a random stream of their own, inserted between the
    /// others, so that a seed's other ops stay what they were before fork ops existed.
    /// </param>
    public OracleOpGenerator(int seed, OracleWindow window, ulong initialBrk = 0, bool wide = false, bool wholeProcess = true)
    {
        _random = new Random(seed);
        _forkRandom = new Random(~seed);
        _wide = wide;
        _wholeProcess = wholeProcess;
        _window = window;
        _initialBrk = initialBrk;
        _brk = initialBrk;
        _pages = MapsParser.Pages(GuardsText(window), window);
    }

    private bool WithBrk => _initialBrk != 0;

    /// <summary>The next op.</summary>
    public OracleOp Next()
    {
        if (_wide && _wholeProcess && NextForkOp() is { } forkOp)
        {
            return forkOp;
        }
        int r = _random.Next(100);
        if (_wide)
        {
            return r switch
            {
                < 10 when WithBrk => NextBrk(),
                < 26 => NextMmap(),
                < 34 => NextMunmap(),
                < 41 => NextMprotect(),
                < 49 => NextMremap(),
                < 57 => NextMadvise(),
                < 64 => NextMincore(),
                < 70 => NextMlock(),
                < 73 => NextMunlock(),
                < 75 when _wholeProcess => NextMlockall(),
                < 76 when _wholeProcess => new OracleOp.Munlockall(),
                < 76 => NextMlock(),
                < 89 => NextWrite(),
                _ => NextRead(),
            };
        }
        if (WithBrk)
        {
            return r switch
            {
                < 18 => NextBrk(),
                < 36 => NextMmap(),
                < 46 => NextMunmap(),
                < 56 => NextMprotect(),
                < 66 => NextMremap(),
                < 72 => NextMadvise(),
                < 88 => NextWrite(),
                _ => NextRead(),
            };
        }
        return r switch
        {
            < 22 => NextMmap(),
            < 33 => NextMunmap(),
            < 47 => NextMprotect(),
            < 61 => NextMremap(),
            < 68 => NextMadvise(),
            < 87 => NextWrite(),
            _ => NextRead(),
        };
    }

    /// <summary>Updates the model with an op's result on the reference target (canonical addresses).</summary>
    public void Observe(OracleOp op, long result, int errno)
    {
        if (op is OracleOp.Brk)
        {
            ObserveBrk((ulong)result);
            return;
        }
        if (errno != 0)
        {
            return;
        }
        switch (op)
        {
            case OracleOp.Mmap m:
                ulong len = Aligned(m.Len);
                var state = new PageState(0, true, (m.Prot & LinuxMman.PROT_READ) != 0, (m.Prot & LinuxMman.PROT_WRITE) != 0,
                    (m.Prot & LinuxMman.PROT_EXEC) != 0, (m.Flags & LinuxMman.MAP_TYPE) != LinuxMman.MAP_PRIVATE);
                Set((ulong)result, len, _ => state);
                if ((m.Flags & LinuxMman.MAP_GROWSDOWN) != 0)
                {
                    _growsDown.Add((ulong)result);
                }
                break;
            case OracleOp.Munmap u:
                Set(u.Addr, Aligned(u.Len), _ => default);
                break;
            case OracleOp.Mprotect p:
                Set(p.Addr, Aligned(p.Len), s => s.Mapped
                    ? s with { Read = (p.Prot & LinuxMman.PROT_READ) != 0, Write = (p.Prot & LinuxMman.PROT_WRITE) != 0, Exec = (p.Prot & LinuxMman.PROT_EXEC) != 0 }
                    : s);
                break;
            case OracleOp.Mremap m:
                ObserveMremap(m, (ulong)result);
                break;
        }
        _runs = null;
    }

    /// <summary>Replaces the model with the reference target's snapshot (canonical addresses).</summary>
    public void Resync(IReadOnlyList<PageState> snapshot)
    {
        for (int i = 0; i < _pages.Length; i++)
        {
            _pages[i] = snapshot[i] with { Page = _pages[i].Page };
        }
        _runs = null;
    }

    // ---- ops ----

    private OracleOp NextMmap()
    {
        int kind = _random.Next(100);
        int flags = kind switch
        {
            < 45 => LinuxMman.MAP_FIXED,
            < 60 => LinuxMman.MAP_FIXED_NOREPLACE,
            _ => 0,
        };
        ulong addr = kind < 85 ? PickAddr() : 0;
        ulong len = PickLen(addr);
        flags |= _random.Next(100) switch
        {
            < 62 => LinuxMman.MAP_PRIVATE,
            < 92 => LinuxMman.MAP_SHARED,
            < 96 => LinuxMman.MAP_SHARED_VALIDATE,
            _ => Pick(0, 4, 0xf),
        };
        if (_random.Next(100) < 98)
        {
            flags |= LinuxMman.MAP_ANONYMOUS;
        }
        if (_random.Next(100) < 8)
        {
            flags |= LinuxMman.MAP_GROWSDOWN;
        }
        if (_random.Next(100) < 10)
        {
            flags |= Pick(LinuxMman.MAP_NORESERVE, LinuxMman.MAP_POPULATE, LinuxMman.MAP_NONBLOCK, LinuxMman.MAP_STACK);
        }
        if (_random.Next(100) < 3)
        {
            flags |= Pick(0x400000, 0x800000);
        }
        ulong lowHint = 0;
        if (_wide && _random.Next(100) < 6 && (_wholeProcess || kind < 60))
        {
            // Placed by policy: below 2 GiB, out of the window (the runner compares and unmaps it);
            // fixed: an ordinary fixed mapping, MAP_32BIT ignored.
            flags |= LinuxMman.MAP_32BIT;
            if (kind >= 60 && _random.Next(3) == 0)
            {
                lowHint = Pick(0x5000_0000UL, 0x7fff_f000UL, 0x1_0000_0000UL);
            }
        }
        int prot = PickProt();
        if (_random.Next(100) < 3)
        {
            prot |= Pick(0x10, LinuxMman.PROT_GROWSDOWN, LinuxMman.PROT_SEM);
        }
        bool fixedRange = (flags & (LinuxMman.MAP_FIXED | LinuxMman.MAP_FIXED_NOREPLACE)) != 0;
        switch (_random.Next(100))
        {
            case < 5 when addr != 0:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 7:
                len = 0;
                break;
            case < 10:
                len = Pick(ulong.MaxValue, ulong.MaxValue - Arch.PageMask, 1UL << 63, 0xffff_f000_0000_0000UL);
                break;
        }
        if (fixedRange || addr != 0)
        {
            (addr, len) = Clamp(addr, len);
        }
        if (!fixedRange && len is > MaxPlacedLength and < (1UL << 63))
        {
            // The kernel places it outside the window, and it must then fit into the window's free space.
            len = MaxPlacedLength;
        }
        if (lowHint != 0)
        {
            addr = lowHint;
        }
        return new OracleOp.Mmap(addr, len, prot, flags);
    }

    private OracleOp NextMunmap()
    {
        ulong addr = PickAddr();
        ulong len = PickLen(addr);
        switch (_random.Next(100))
        {
            case < 4:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 7:
                len = 0;
                break;
            case < 10:
                len = Pick(ulong.MaxValue, 1UL << 63, 0xffff_f000_0000_0000UL);
                break;
        }
        (addr, len) = Clamp(addr, len);
        return new OracleOp.Munmap(addr, len);
    }

    private OracleOp NextMprotect()
    {
        ulong addr;
        int prot = PickProt();
        int r = _random.Next(100);
        if (r < 8 && _growsDown.Count > 0)
        {
            // PROT_GROWSDOWN on (what was) a grows-down mapping: from inside it down to its start.
            addr = _growsDown[_random.Next(_growsDown.Count)] + (Page * (ulong)_random.Next(4));
            prot |= LinuxMman.PROT_GROWSDOWN;
        }
        else
        {
            addr = PickAddr();
            if (r < 14)
            {
                prot |= LinuxMman.PROT_GROWSDOWN;
            }
            else if (r < 16)
            {
                prot |= LinuxMman.PROT_GROWSUP;
            }
            else if (r < 18)
            {
                prot |= Pick(0x10, 0x80, LinuxMman.PROT_SEM);
            }
        }
        ulong len = PickLen(addr);
        switch (_random.Next(100))
        {
            case < 4:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 7:
                len = 0;
                break;
            case < 10:
                return new OracleOp.Mprotect(addr, WrappingLength(addr), prot);
        }
        (addr, len) = Clamp(addr, len);
        return new OracleOp.Mprotect(addr, len, prot);
    }

    private OracleOp NextMadvise()
    {
        int advice = _wide ? WideAdvice() : _random.Next(100) switch
        {
            < 72 => LinuxMman.MADV_DONTNEED,
            < 82 => Pick(LinuxMman.MADV_NORMAL, LinuxMman.MADV_RANDOM, LinuxMman.MADV_SEQUENTIAL, LinuxMman.MADV_WILLNEED),
            < 88 => LinuxMman.MADV_REMOVE,
            < 94 => Pick(LinuxMman.MADV_DONTFORK, LinuxMman.MADV_DOFORK),
            _ => Pick(999, -1),
        };
        ulong addr = _wide && advice == LinuxMman.MADV_REMOVE && RandomRun(s => s.Shared) is { } shared && _random.Next(100) < 80
            ? shared.Start + (Page * (ulong)_random.NextInt64((long)((shared.End - shared.Start) / Page)))
            : PickAddr();
        ulong len = PickLen(addr);
        switch (_random.Next(100))
        {
            case < 4:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 7:
                len = 0;
                break;
            case < 10:
                return new OracleOp.Madvise(addr, WrappingLength(addr), advice);
            case < 14:
                // An unaligned length: the kernel rounds it up.
                len = Math.Max(1, len - (ulong)_random.Next(1, (int)Page));
                break;
        }
        (addr, len) = Clamp(addr, len);
        return new OracleOp.Madvise(addr, len, advice);
    }

    private OracleOp NextMremap()
    {
        // The old range: mostly (part of) one mapping, sometimes anything.
        ulong old;
        ulong oldLen;
        var run = RandomRun();
        if (run is { } rr && _random.Next(100) < 80)
        {
            ulong runPages = (rr.End - rr.Start) / Page;
            ulong skip = _random.Next(100) < 70 ? 0 : (ulong)_random.NextInt64((long)runPages);
            old = rr.Start + (skip * Page);
            ulong left = rr.End - old;
            oldLen = _random.Next(100) < 60 ? left : Page * (ulong)_random.NextInt64(1, (long)(left / Page) + 1);
        }
        else
        {
            old = PickAddr();
            oldLen = PickLen(old);
        }
        ulong grow = Page * (ulong)(_random.Next(100) < 80 ? _random.Next(1, 9) : _random.Next(9, 129));
        ulong newLen;
        ulong newAddr = 0;
        int flags;
        int kind = _random.Next(100);
        switch (kind)
        {
            case < 18: // shrink
                flags = Pick(0, LinuxMman.MREMAP_MAYMOVE);
                newLen = oldLen > Page ? Page * (ulong)_random.NextInt64(1, (long)(oldLen / Page)) : oldLen;
                break;
            case < 32: // grow, in place or not at all
                flags = 0;
                newLen = oldLen + grow;
                break;
            case < 52: // grow, moving if it must (to a place that must fit into the window's free space)
                flags = LinuxMman.MREMAP_MAYMOVE;
                newLen = Math.Min(oldLen + grow, Math.Max(oldLen, MaxPlacedLength));
                break;
            case < 70: // move to a chosen address
                flags = LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_FIXED;
                newLen = Pick(oldLen, oldLen + grow, Math.Max(Page, oldLen / 2));
                newAddr = PickAddr();
                break;
            case < 80: // move, leaving the old range mapped and empty
                flags = LinuxMman.MREMAP_MAYMOVE | LinuxMman.MREMAP_DONTUNMAP | (_random.Next(2) == 0 ? LinuxMman.MREMAP_FIXED : 0);
                newLen = _random.Next(100) < 85 ? oldLen : oldLen + grow;
                newAddr = (flags & LinuxMman.MREMAP_FIXED) != 0 ? PickAddr() : 0;
                if ((flags & LinuxMman.MREMAP_FIXED) == 0 && oldLen > MaxPlacedLength)
                {
                    // The copy goes where the kernel chooses and must then fit into the window's free space.
                    oldLen = newLen = MaxPlacedLength;
                }
                break;
            case < 88: // old size 0: a second mapping of a shared mapping
                var shared = RandomRun(s => s.Shared) ?? run;
                if (shared is { } sr)
                {
                    old = sr.Start + (Page * (ulong)_random.NextInt64((long)((sr.End - sr.Start) / Page)));
                }
                oldLen = 0;
                flags = LinuxMman.MREMAP_MAYMOVE | (_random.Next(3) == 0 ? LinuxMman.MREMAP_FIXED : 0);
                newLen = Page * (ulong)_random.Next(1, 9);
                newAddr = (flags & LinuxMman.MREMAP_FIXED) != 0 ? PickAddr() : 0;
                break;
            default: // invalid flag combinations
                flags = Pick(LinuxMman.MREMAP_FIXED, LinuxMman.MREMAP_DONTUNMAP, 8, LinuxMman.MREMAP_MAYMOVE | 8,
                    LinuxMman.MREMAP_FIXED | LinuxMman.MREMAP_DONTUNMAP);
                newLen = oldLen + Pick(0UL, grow);
                newAddr = PickAddr();
                break;
        }
        switch (_random.Next(100))
        {
            case < 3:
                old += (ulong)_random.Next(1, (int)Page);
                break;
            case < 5:
                newLen = 0;
                break;
            case < 7:
                newLen = Pick(ulong.MaxValue, 1UL << 63);
                break;
            case < 9:
                oldLen = Pick(ulong.MaxValue, 1UL << 63);
                break;
            case < 11 when (flags & LinuxMman.MREMAP_FIXED) != 0:
                newAddr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 14:
                newLen = Math.Max(1, newLen - (ulong)_random.Next(1, (int)Page));
                break;
        }
        if (oldLen < (1UL << 63))
        {
            (old, oldLen) = Clamp(old, oldLen);
        }
        if (newLen is not 0 and < (1UL << 63))
        {
            // Growth in place must stay in the area (the high guard stops it in the window; nothing
            // stops it above the brk region), and a fixed destination must be inside the op area.
            (_, newLen) = Clamp(old, newLen);
            if ((flags & LinuxMman.MREMAP_FIXED) != 0)
            {
                (newAddr, newLen) = Clamp(newAddr, newLen);
            }
        }
        return new OracleOp.Mremap(old, oldLen, newLen, flags, newAddr);
    }

    /// <summary>
    /// From the fork stream: a fork (its child writing somewhere), the end of a live fork, or fork
    /// advice (WIPEONFORK, KEEPONFORK, DONTFORK, DOFORK) over part of what is mapped; mostly nothing.
    /// </summary>
    private OracleOp? NextForkOp()
    {
        int r = _forkRandom.Next(100);
        if (r >= 11 || (r < 2 && _forkLive) || (r is >= 2 and < 8 && !_forkLive))
        {
            return null;
        }
        // The usual pickers, drawing from the fork stream for this op.
        Random main = _random;
        _random = _forkRandom;
        try
        {
            if (r < 2)
            {
                _forkLive = true;
                return new OracleOp.Fork((OracleOp.Write)NextWrite());
            }
            if (r < 8)
            {
                _forkLive = false;
                return new OracleOp.ForkEnd();
            }
            // A range as any madvise's (kept off the guards), with fork advice.
            return (OracleOp.Madvise)NextMadvise() with
            {
                Advice = Pick(LinuxMman.MADV_WIPEONFORK, LinuxMman.MADV_KEEPONFORK, LinuxMman.MADV_DONTFORK, LinuxMman.MADV_DOFORK),
            };
        }
        finally
        {
            _random = main;
        }
    }

    private int WideAdvice() => _random.Next(100) switch
    {
        < 25 => LinuxMman.MADV_DONTNEED,
        < 45 => LinuxMman.MADV_FREE,
        < 57 => LinuxMman.MADV_POPULATE_READ,
        < 69 => LinuxMman.MADV_POPULATE_WRITE,
        < 83 => LinuxMman.MADV_REMOVE,
        < 90 => Pick(LinuxMman.MADV_NORMAL, LinuxMman.MADV_WILLNEED, LinuxMman.MADV_DONTFORK, LinuxMman.MADV_DOFORK),
        _ => Pick(LinuxMman.MADV_DONTNEED_LOCKED, LinuxMman.MADV_COLD, LinuxMman.MADV_PAGEOUT),
    };

    /// <summary>mincore over (part of) what is mapped, mostly after writes and reads made pages.</summary>
    private OracleOp NextMincore()
    {
        ulong addr = PickAddr();
        ulong len = PickLen(addr);
        switch (_random.Next(100))
        {
            case < 4:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 7:
                len = 0;
                break;
            case < 10:
                return new OracleOp.Mincore(Arch.PageRoundDown(addr), WrappingLength(addr));
            case < 16:
                len = Math.Max(1, len - (ulong)_random.Next(1, (int)Page));
                break;
        }
        (addr, len) = Clamp(addr, len);
        return new OracleOp.Mincore(addr, len);
    }

    private OracleOp NextMlock()
    {
        int flags = _random.Next(100) switch
        {
            < 55 => 0,
            < 95 => LinuxMman.MLOCK_ONFAULT,
            _ => Pick(2, LinuxMman.MLOCK_ONFAULT | 4),
        };
        (ulong addr, ulong len) = LockRange();
        return new OracleOp.Mlock(addr, len, flags);
    }

    private OracleOp NextMunlock()
    {
        (ulong addr, ulong len) = LockRange();
        return new OracleOp.Munlock(addr, len);
    }

    private OracleOp NextMlockall()
    {
        int flags = _random.Next(100) switch
        {
            < 92 => Pick(LinuxMman.MCL_CURRENT, LinuxMman.MCL_FUTURE, LinuxMman.MCL_CURRENT | LinuxMman.MCL_FUTURE) |
                (_random.Next(2) == 0 ? LinuxMman.MCL_ONFAULT : 0),
            _ => Pick(0, LinuxMman.MCL_ONFAULT, 8, LinuxMman.MCL_CURRENT | 8),
        };
        return new OracleOp.Mlockall(flags);
    }

    private (ulong Addr, ulong Len) LockRange()
    {
        ulong addr = PickAddr();
        ulong len = PickLen(addr);
        switch (_random.Next(100))
        {
            case < 5:
                addr += (ulong)_random.Next(1, (int)Page);
                break;
            case < 8:
                len = 0;
                break;
            case < 11:
                return (addr, WrappingLength(addr));
            case < 15:
                len = Math.Max(1, len - (ulong)_random.Next(1, (int)Page));
                break;
        }
        (addr, len) = Clamp(addr, len);
        return (addr, len);
    }

    private OracleOp NextWrite()
    {
        (ulong addr, ulong len) = PickIoRange(16 << 10);
        return new OracleOp.Write(addr, len, (byte)_random.Next(256));
    }

    private OracleOp NextRead()
    {
        (ulong addr, ulong len) = PickIoRange(64 << 10);
        return new OracleOp.Read(addr, len);
    }

    private OracleOp NextBrk()
    {
        ulong target = _random.Next(100) switch
        {
            < 10 => 0,
            < 65 => (ulong)Math.Max((long)_initialBrk, (long)_brk + _random.NextInt64(-64, 257) * (long)Page),
            < 80 => _initialBrk + (ulong)_random.NextInt64(0, (long)(OracleWindow.BrkRegionSize / 2)),
            < 85 => Pick(1UL, 0x1000UL, 0x10000UL, 0x3f_f000UL),
            _ => RandomRun(s => true, _window.BrkBase, _window.BrkEnd) is { } run ? Pick(run.Start, run.Start + Page, run.End) : _brk,
        };
        if (target != 0 && _random.Next(100) < 35)
        {
            target += (ulong)_random.Next(1, (int)Page);
        }
        // Never below the initial break (the C library's heap is there) unless far below it; never
        // beyond the part of the brk region snapshots cover.
        if (target >= 0x40_0000 && target < _initialBrk)
        {
            target = _initialBrk;
        }
        return new OracleOp.Brk(Math.Min(target, _window.BrkEnd - (1UL << 20)));
    }

    // ---- choices ----

    private ulong PickAddr()
    {
        int r = _random.Next(100);
        if (r < 75 && RandomRun() is { } run)
        {
            ulong pages = (run.End - run.Start) / Page;
            return r switch
            {
                < 25 => run.Start,
                < 40 => run.End,
                < 58 => run.Start + (Page * (ulong)_random.NextInt64((long)pages)),
                < 66 => run.Start - (Page * (ulong)_random.Next(1, 5)),
                _ => run.End + (Page * (ulong)_random.Next(1, 5)),
            };
        }
        return HotPage();
    }

    /// <summary>A page where mappings cluster: the bottom or top of the op area (where top-down placement puts them), or the brk region.</summary>
    private ulong HotPage()
    {
        int r = _random.Next(100);
        if (WithBrk && r < 30)
        {
            return _window.BrkBase + (Page * (ulong)_random.Next((int)(OracleWindow.BrkRegionSize / 2 / Page)));
        }
        return (r % 100) switch
        {
            < 45 => _window.OpStart + (Page * (ulong)_random.Next(HotZonePages)),
            < 88 => _window.OpEnd - (Page * (ulong)_random.Next(1, HotZonePages + 1)),
            _ => _window.OpStart + (Page * (ulong)_random.NextInt64((long)((_window.OpEnd - _window.OpStart) / Page))),
        };
    }

    private ulong PickLen(ulong addr)
    {
        int r = _random.Next(100);
        if (r < 15 && RunAt(addr) is { } run && run.End > addr)
        {
            // To the end of the mapping at addr, or a little past it.
            return run.End - Arch.PageRoundDown(addr) + (r < 8 ? 0 : Page * (ulong)_random.Next(1, 4));
        }
        return r switch
        {
            < 40 => Page,
            < 72 => Page * (ulong)_random.Next(2, 9),
            < 92 => Page * (ulong)_random.Next(9, 65),
            < 95 => Page * (ulong)_random.Next(65, 257),
            _ => (ulong)_random.Next(1, 8 * (int)Page),
        };
    }

    private int PickProt() => _random.Next(100) switch
    {
        < 50 => LinuxMman.PROT_READ | LinuxMman.PROT_WRITE,
        < 65 => LinuxMman.PROT_READ,
        < 75 => LinuxMman.PROT_NONE,
        < 80 => LinuxMman.PROT_READ | LinuxMman.PROT_WRITE | LinuxMman.PROT_EXEC,
        < 85 => LinuxMman.PROT_WRITE,
        < 90 => LinuxMman.PROT_EXEC,
        < 95 => LinuxMman.PROT_READ | LinuxMman.PROT_EXEC,
        _ => LinuxMman.PROT_WRITE | LinuxMman.PROT_EXEC,
    };

    private (ulong Addr, ulong Len) PickIoRange(int max)
    {
        ulong addr;
        ulong len;
        if (RandomRun() is { } run && _random.Next(100) < 85)
        {
            int r = _random.Next(100);
            addr = r switch
            {
                // Across the end of a mapping (into a hole or the next mapping).
                < 30 => run.End - (ulong)_random.Next(1, 2 * (int)Page),
                // Starting just below a mapping.
                < 38 => run.Start - (ulong)_random.Next(1, (int)Page),
                _ => run.Start + (ulong)_random.NextInt64((long)(run.End - run.Start)),
            };
            len = (ulong)(_random.Next(100) < 70 ? _random.Next(1, 2 * (int)Page) : _random.Next(1, max + 1));
        }
        else
        {
            addr = HotPage() + (ulong)_random.Next((int)Page);
            len = (ulong)_random.Next(0, max + 1);
        }
        // Stay inside the window or brk region (a write outside them could hit the runtime's memory).
        (ulong start, ulong end) = AreaOf(addr, whole: true);
        addr = Math.Clamp(addr, start, end - 1);
        return (addr, Math.Min(len, end - addr));
    }

    /// <summary>Pulls <c>[addr, addr + len)</c> (page-rounded) inside the op area or brk region it starts in.</summary>
    private (ulong Addr, ulong Len) Clamp(ulong addr, ulong len)
    {
        (ulong start, ulong end) = AreaOf(addr, whole: false);
        ulong offset = addr & Arch.PageMask;
        ulong page = Math.Clamp(Arch.PageRoundDown(addr), start, end - Page);
        ulong room = end - page - offset;
        if (len > room)
        {
            len = room;
        }
        return (page + offset, len);
    }

    private (ulong Start, ulong End) AreaOf(ulong addr, bool whole)
    {
        if (WithBrk && addr >= _window.BrkBase - (16 * Page) && addr < _window.BrkEnd)
        {
            return (_window.BrkBase, _window.BrkEnd);
        }
        return whole ? (_window.Start, _window.End) : (_window.OpStart, _window.OpEnd);
    }

    private ulong WrappingLength(ulong addr) => Pick(ulong.MaxValue, ulong.MaxValue - Arch.PageMask, 0UL - Arch.PageRoundDown(Math.Max(addr, Page)));

    private T Pick<T>(params T[] choices) => choices[_random.Next(choices.Length)];

    // ---- the model ----

    private (ulong Start, ulong End)? RandomRun(Func<PageState, bool>? filter = null, ulong from = 0, ulong to = ulong.MaxValue)
    {
        List<(ulong Start, ulong End, PageState State)> runs = Runs();
        if (runs.Count == 0)
        {
            return null;
        }
        // A few tries at a random run that passes the filter.
        for (int i = 0; i < 8; i++)
        {
            var run = runs[_random.Next(runs.Count)];
            if ((filter is null || filter(run.State)) && run.Start >= from && run.End <= to)
            {
                return (run.Start, run.End);
            }
        }
        return null;
    }

    private (ulong Start, ulong End)? RunAt(ulong addr)
    {
        foreach (var run in Runs())
        {
            if (addr >= run.Start && addr < run.End)
            {
                return (run.Start, run.End);
            }
        }
        return null;
    }

    /// <summary>Maximal runs of mapped pages with one state, outside the guards.</summary>
    private List<(ulong Start, ulong End, PageState State)> Runs()
    {
        if (_runs is not null)
        {
            return _runs;
        }
        var runs = new List<(ulong Start, ulong End, PageState State)>();
        for (int i = 0; i < _pages.Length; i++)
        {
            PageState p = _pages[i];
            if (!p.Mapped || !_window.InOpArea(p.Page, Page))
            {
                continue;
            }
            if (runs.Count > 0 && runs[^1].End == p.Page && runs[^1].State.Key == p.Key)
            {
                runs[^1] = (runs[^1].Start, p.Page + Page, runs[^1].State);
            }
            else
            {
                runs.Add((p.Page, p.Page + Page, p));
            }
        }
        return _runs = runs;
    }

    private void Set(ulong addr, ulong len, Func<PageState, PageState> change)
    {
        if (len > ulong.MaxValue - addr || len > OracleWindow.DefaultSize || (addr & Arch.PageMask) != 0)
        {
            return;
        }
        for (ulong page = addr; page < addr + len; page += Page)
        {
            int i = IndexOf(page);
            if (i >= 0)
            {
                _pages[i] = change(_pages[i]) with { Page = page };
            }
        }
        _runs = null;
    }

    private PageState Get(ulong page)
    {
        int i = IndexOf(page);
        return i >= 0 ? _pages[i] : default;
    }

    private int IndexOf(ulong page)
    {
        int index = 0;
        foreach ((ulong start, ulong end) in _window.SnapshotRegions)
        {
            if (page >= start && page < end)
            {
                return index + (int)((page - start) / Page);
            }
            index += (int)((end - start) / Page);
        }
        return -1;
    }

    private void ObserveMremap(OracleOp.Mremap m, ulong result)
    {
        ulong oldLen = Aligned(m.OldLen);
        ulong newLen = Aligned(m.NewLen);
        if (oldLen > OracleWindow.DefaultSize || newLen > OracleWindow.DefaultSize)
        {
            return;
        }
        var moved = new PageState[newLen / Page];
        PageState last = oldLen > 0 ? Get(m.Old + oldLen - Page) : Get(m.Old);
        for (ulong i = 0; i < (ulong)moved.Length; i++)
        {
            moved[i] = i * Page < oldLen ? Get(m.Old + (i * Page)) : last;
        }
        if (oldLen > 0 && result != m.Old && (m.Flags & LinuxMman.MREMAP_DONTUNMAP) == 0)
        {
            Set(m.Old, oldLen, _ => default);
        }
        else if (result == m.Old && newLen < oldLen)
        {
            Set(m.Old + newLen, oldLen - newLen, _ => default);
        }
        for (int i = 0; i < moved.Length; i++)
        {
            PageState s = moved[i];
            Set(result + ((ulong)i * Page), Page, _ => s);
        }
    }

    private void ObserveBrk(ulong brk)
    {
        ulong oldEnd = Arch.PageRoundUp(_brk).Rounded;
        ulong newEnd = Arch.PageRoundUp(brk).Rounded;
        var heap = new PageState(0, true, true, true, false, false);
        if (newEnd > oldEnd)
        {
            Set(oldEnd, newEnd - oldEnd, _ => heap);
        }
        else if (newEnd < oldEnd)
        {
            Set(newEnd, oldEnd - newEnd, _ => default);
        }
        _brk = brk;
    }

    private static ulong Aligned(ulong len) => KernelTargetBase.AlignedLength(len) ?? 0;

    /// <summary>Maps text with just the window's two guards: what every run starts from.</summary>
    internal static string GuardsText(OracleWindow w) =>
        $"{w.Start:x}-{w.OpStart:x} ---p 00000000 00:00 0\n{w.OpEnd:x}-{w.End:x} ---p 00000000 00:00 0\n";
}
