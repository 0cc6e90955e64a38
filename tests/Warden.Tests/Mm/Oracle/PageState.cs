using System.Globalization;
using Warden.HostArch;

namespace Warden.Tests.Mm.Oracle;

/// <summary>What a maps listing says about one page: mapped or not, its r/w/x bits and whether it is shared.</summary>
public readonly record struct PageState(ulong Page, bool Mapped, bool Read, bool Write, bool Exec, bool Shared)
{
    /// <summary>Whether the page can be accessed at all (x86 makes write and execute imply read).</summary>
    public bool AnyAccess => Mapped && (Read || Write || Exec);

    /// <summary>The state without the address, for comparing pages of two windows.</summary>
    public (bool, bool, bool, bool, bool) Key => (Mapped, Read, Write, Exec, Shared);

    public string PermsText => Mapped
        ? $"{(Read ? 'r' : '-')}{(Write ? 'w' : '-')}{(Exec ? 'x' : '-')}{(Shared ? 's' : 'p')}"
        : "unmapped";

    public override string ToString() => $"0x{Page:x} {PermsText}";
}

/// <summary>Parses <c>/proc/[pid]/maps</c> text into per-page states over a window's snapshot regions.</summary>
public static class MapsParser
{
    /// <summary>One line of maps text: its range and permission string.</summary>
    public readonly record struct Line(ulong Start, ulong End, string Perms, string Text);

    public static List<Line> Parse(string text)
    {
        var lines = new List<Line>();
        foreach (string raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = raw.IndexOf('-', StringComparison.Ordinal);
            int space = raw.IndexOf(' ', StringComparison.Ordinal);
            if (dash <= 0 || space <= dash)
            {
                throw new FormatException($"Not a maps line: '{raw}'");
            }
            ulong start = ulong.Parse(raw.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong end = ulong.Parse(raw.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string perms = raw.Substring(space + 1, 4);
            lines.Add(new Line(start, end, perms, raw));
        }
        return lines;
    }

    /// <summary>The lines that overlap <paramref name="window"/>'s snapshot regions, as text (for reports).</summary>
    public static string WindowText(string text, OracleWindow window)
    {
        var result = new System.Text.StringBuilder();
        foreach (Line line in Parse(text))
        {
            foreach ((ulong start, ulong end) in window.SnapshotRegions)
            {
                if (line.Start < end && line.End > start)
                {
                    result.Append(line.Text).Append('\n');
                    break;
                }
            }
        }
        return result.ToString();
    }

    /// <summary>One state per page of <paramref name="window"/>'s snapshot regions, in order.</summary>
    public static PageState[] Pages(string text, OracleWindow window)
    {
        var pages = new PageState[window.SnapshotPageCount];
        int index = 0;
        foreach ((ulong start, ulong end) in window.SnapshotRegions)
        {
            for (ulong page = start; page < end; page += Arch.PageSize)
            {
                pages[index++] = new PageState(page, false, false, false, false, false);
            }
        }
        foreach (Line line in Parse(text))
        {
            index = 0;
            foreach ((ulong start, ulong end) in window.SnapshotRegions)
            {
                ulong from = Math.Max(start, line.Start);
                ulong to = Math.Min(end, line.End);
                for (ulong page = from; page < to; page += Arch.PageSize)
                {
                    pages[index + (int)((page - start) / Arch.PageSize)] = new PageState(
                        page, true, line.Perms[0] == 'r', line.Perms[1] == 'w', line.Perms[2] == 'x', line.Perms[3] == 's');
                }
                index += (int)((end - start) / Arch.PageSize);
            }
        }
        return pages;
    }
}
