namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// The part of an address space an oracle run may touch: a window of <see cref="Size"/> bytes at
/// <see cref="Start"/> whose first and last <see cref="Guard"/> bytes are PROT_NONE guard mappings
/// (so growth at the edges fails alike on every target), and, for brk runs, the first
/// <see cref="BrkRegionSize"/> bytes above the initial program break.
/// </summary>
public sealed record OracleWindow
{
    /// <summary>Where the window goes: 16 TiB, far below where the kernel places the runtime's mappings.</summary>
    public const ulong DefaultStart = 0x1000_0000_0000;

    public const ulong DefaultSize = 64UL << 20;

    public const ulong DefaultGuard = 1UL << 20;

    /// <summary>How much of the address space above the initial break a brk run uses.</summary>
    public const ulong BrkRegionSize = 16UL << 20;

    public const ulong PageSize = 4096;

    /// <summary>The window every sequence is generated for; targets elsewhere shift addresses by the difference.</summary>
    public static OracleWindow Default { get; } = new();

    public ulong Start { get; init; } = DefaultStart;

    public ulong Size { get; init; } = DefaultSize;

    public ulong Guard { get; init; } = DefaultGuard;

    /// <summary>The page-rounded initial program break of a brk run; 0 when the run has no brk region.</summary>
    public ulong BrkBase { get; init; }

    public ulong End => Start + Size;

    /// <summary>The start of the area ops work in (above the low guard).</summary>
    public ulong OpStart => Start + Guard;

    /// <summary>The end of the area ops work in (below the high guard).</summary>
    public ulong OpEnd => End - Guard;

    public bool HasBrk => BrkBase != 0;

    public ulong BrkEnd => BrkBase + BrkRegionSize;

    /// <summary>The regions a snapshot covers, in order: the whole window, then the brk region if any.</summary>
    public IReadOnlyList<(ulong Start, ulong End)> SnapshotRegions =>
        HasBrk ? [(Start, End), (BrkBase, BrkEnd)] : [(Start, End)];

    /// <summary>The number of pages a snapshot lists.</summary>
    public int SnapshotPageCount
    {
        get
        {
            ulong pages = 0;
            foreach ((ulong start, ulong end) in SnapshotRegions)
            {
                pages += (end - start) / PageSize;
            }
            return checked((int)pages);
        }
    }

    /// <summary>Whether <c>[addr, addr + len)</c> lies inside the window or the brk region (no overflow).</summary>
    public bool Contains(ulong addr, ulong len)
    {
        if (len > ulong.MaxValue - addr)
        {
            return false;
        }
        ulong end = addr + len;
        return (addr >= Start && end <= End) || (HasBrk && addr >= BrkBase && end <= BrkEnd);
    }

    /// <summary>Whether <c>[addr, addr + len)</c> lies inside the op area or the brk region (so it spares the guards).</summary>
    public bool InOpArea(ulong addr, ulong len)
    {
        if (len > ulong.MaxValue - addr)
        {
            return false;
        }
        ulong end = addr + len;
        return (addr >= OpStart && end <= OpEnd) || (HasBrk && addr >= BrkBase && end <= BrkEnd);
    }

    /// <summary>Moves an address of <paramref name="from"/>'s window to the same place in this one; other addresses are unchanged.</summary>
    public ulong Translate(ulong addr, OracleWindow from)
    {
        if (from.Start == Start || addr < from.Start || addr > from.End)
        {
            return addr;
        }
        return addr - from.Start + Start;
    }
}
