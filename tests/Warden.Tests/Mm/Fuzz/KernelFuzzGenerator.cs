using Warden.HostArch;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// Seeded raw memory system calls for <see cref="KernelFuzzRunner"/>: every call of the family with
/// every flag bit (defined or not), descriptors -1, open, closed and random, offsets and addresses
/// where bugs live, lengths 0, 1, huge and wrapping, and (half the time) arguments aimed at what the
/// run has mapped so far.
/// </summary>
public sealed class KernelFuzzGenerator
{
    private const ulong Page = Arch.PageSize;
    private const int MAP_DROPPABLE = 0x08;
    private const int MAP_HUGE_2MB = 21 << 26;

    private static readonly int[] s_modifiers =
    [
        MAP_FIXED, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED,
        MAP_NORESERVE, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_UNINITIALIZED, MAP_HUGE_2MB,
    ];

    private readonly Random _random;
    private readonly KernelFuzzState _state;

    public KernelFuzzGenerator(int seed, KernelFuzzState state)
    {
        _random = new Random(seed);
        _state = state;
    }

    /// <summary>The next call.</summary>
    public FuzzCall Next() => _random.Next(100) switch
    {
        < 30 => Mmap(),
        < 38 => new FuzzCall(Sysno.Munmap, Address(), Length()),
        < 46 => new FuzzCall(Sysno.Mprotect, Address(), Length(), Prot()),
        < 55 => Mremap(),
        < 64 => new FuzzCall(Sysno.Madvise, Address(), Length(), Advice()),
        < 69 => new FuzzCall(Sysno.Brk, Break()),
        < 75 => Mincore(),
        < 79 => new FuzzCall(Sysno.Mlock, Address(), Length()),
        < 83 => new FuzzCall(Sysno.Mlock2, Address(), Length(), Small(2)),
        < 87 => new FuzzCall(Sysno.Munlock, Address(), Length()),
        < 89 => new FuzzCall(Sysno.Mlockall, Small(8)),
        < 91 => new FuzzCall(Sysno.Munlockall),
        _ => new FuzzCall(Sysno.Msync, Address(), Length(), Small(8)),
    };

    private FuzzCall Mmap()
    {
        ulong flags = _random.Next(10) switch
        {
            < 4 => MAP_PRIVATE | MAP_ANONYMOUS,
            4 => MAP_SHARED | MAP_ANONYMOUS,
            5 => MAP_PRIVATE,
            6 => MAP_SHARED,
            7 => (ulong)(MAP_SHARED_VALIDATE | (_random.Next(2) == 0 ? MAP_ANONYMOUS : 0)),
            8 => (ulong)_random.Next(16) | (ulong)(_random.Next(2) == 0 ? MAP_ANONYMOUS : 0),
            _ => (ulong)_random.NextInt64() | (ulong)_random.Next(2) << 63,
        };
        for (int n = _random.Next(3); n > 0; n--)
        {
            flags |= (uint)s_modifiers[_random.Next(s_modifiers.Length)];
        }
        if (_random.Next(12) == 0)
        {
            flags |= 1UL << _random.Next(64);
        }
        if (_random.Next(40) == 0)
        {
            flags |= MAP_DROPPABLE;
        }
        bool anonymous = (flags & MAP_ANONYMOUS) != 0;
        ulong fd = _random.Next(10) switch
        {
            < 6 when anonymous => ulong.MaxValue,
            < 7 when !anonymous => (ulong)_state.Files[_random.Next(_state.Files.Count)].Fd,
            7 => (ulong)_random.Next(0, 3),
            8 => (ulong)_random.Next(8, 12),
            _ => _random.Next(2) == 0 ? 0xffff_ffffUL : (ulong)_random.NextInt64(),
        };
        ulong offset = _random.Next(8) switch
        {
            < 3 => 0,
            < 6 => (ulong)_random.Next(1, 5) * Page,
            6 => (ulong)_random.Next(1, 8192),
            _ => Interesting(),
        };
        return new FuzzCall(Sysno.Mmap, Address(), Length(), Prot(), flags, fd, offset);
    }

    private FuzzCall Mremap()
    {
        ulong flags = _random.Next(8) switch
        {
            < 6 => (ulong)_random.Next(8),
            6 => 1UL << _random.Next(64),
            _ => (ulong)_random.NextInt64(),
        };
        return new FuzzCall(Sysno.Mremap, Address(), Length(), Length(), flags, Address());
    }

    private FuzzCall Mincore()
    {
        ulong length = Length();
        ulong vector = _random.Next(10) switch
        {
            < 7 => _state.VectorAddress,
            7 => _state.VectorAddress + (ulong)_random.Next(1, (int)Page),
            8 => _random.Next(2) == 0 ? 0 : 1UL << 63,
            _ => Address(),
        };
        return new FuzzCall(Sysno.Mincore, Address(), length, vector);
    }

    private ulong Advice() => _random.Next(10) switch
    {
        < 7 => (ulong)_random.Next(0, 27),
        7 => (ulong)_random.Next(100, 104),
        8 => 1UL << _random.Next(64),
        _ => (ulong)_random.NextInt64(),
    };

    private ulong Prot() => _random.Next(10) switch
    {
        < 6 => (ulong)_random.Next(8),
        6 => (ulong)_random.Next(16),
        7 => (uint)_random.Next(8) | (uint)(_random.Next(3) switch { 0 => PROT_GROWSDOWN, 1 => PROT_GROWSUP, _ => PROT_GROWSDOWN | PROT_GROWSUP }),
        8 => (uint)_random.Next(8) | 1UL << _random.Next(64),
        _ => (ulong)_random.NextInt64(),
    };

    /// <summary>Flags for the small-flag calls: mostly below <paramref name="defined"/>, sometimes any bit.</summary>
    private ulong Small(int defined) => _random.Next(8) switch
    {
        < 6 => (ulong)_random.Next(defined * 2),
        6 => 1UL << _random.Next(64),
        _ => (ulong)_random.NextInt64(),
    };

    private ulong Break() => _random.Next(8) switch
    {
        < 3 => _state.Brk + (ulong)_random.Next(-4, 32) * Page + (ulong)(_random.Next(4) == 0 ? _random.Next(1, 4096) : 0),
        3 => _state.InitialBrk + (ulong)_random.Next(0, 8) * Page,
        4 => 0,
        5 => _state.Brk + (ulong)_random.Next(1, 1 << 20) * Page,
        _ => Address(),
    };

    private ulong Address()
    {
        switch (_random.Next(12))
        {
            case < 4 when _state.Mapped.Count > 0:
                ulong at = _state.Mapped[_random.Next(_state.Mapped.Count)];
                return at + (ulong)_random.Next(-2, 4) * Page + (ulong)(_random.Next(10) == 0 ? _random.Next(1, 4096) : 0);
            case 4:
            case 5:
                (ulong start, ulong end) = _state.Protected[_random.Next(_state.Protected.Count)];
                return (_random.Next(2) == 0 ? start : end) + (ulong)_random.Next(-3, 4) * Page;
            case 6:
                return (_random.Next(2) == 0 ? _state.MinAddress : _state.DacMinAddress) + (ulong)_random.Next(-1, 2) * (_random.Next(2) == 0 ? Page : 1);
            case 7:
                return _state.TopDownBase - (ulong)_random.Next(0, 64) * Page;
            case 8:
                return (ulong)_random.Next(0, 64) * Page;
            case 9:
                return (ulong)_random.NextInt64() << _random.Next(2);
            default:
                return Interesting();
        }
    }

    private ulong Length() => _random.Next(12) switch
    {
        < 5 => (ulong)_random.Next(1, 33) * Page,
        5 => (ulong)_random.Next(0, 3),
        6 => (ulong)_random.Next(1, 16) * Page + (ulong)_random.Next(-1, 2),
        7 => (1UL << _random.Next(20, 48)) + (ulong)_random.Next(-1, 2) * Page,
        8 => ulong.MaxValue - (ulong)_random.Next(0, 3) * Page - (ulong)_random.Next(0, 200),
        9 => (ulong)_random.NextInt64() << _random.Next(2),
        _ => Interesting(),
    };

    // Addresses and lengths where bugs live: zero, page edges, mmap_min_addr, the 32-bit window,
    // TASK_SIZE and 2^47, 2 TiB, the top of the 64-bit space, and wrapping values.
    private static readonly ulong[] s_interesting =
    [
        0, 1, Page - 1, Page, Page + 1, 0x10000, 0x40000000, 0x80000000, 0xffff_ffff, 1UL << 32,
        Arch.TaskSize - Page, Arch.TaskSize, Arch.TaskSize + Page, 1UL << 47, (1UL << 47) + Page,
        1UL << 63, ulong.MaxValue - Page + 1, ulong.MaxValue - 1, ulong.MaxValue, 2UL << 40, 64UL << 30,
    ];

    private ulong Interesting() => s_interesting[_random.Next(s_interesting.Length)];
}
