using System.Globalization;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>One line of /proc/[pid]/maps, split into its fields.</summary>
public sealed record FuzzMapsLine(ulong Start, ulong End, string Perms, ulong Offset, string Device, ulong Inode, string Name, string Text)
{
    /// <summary>Parses a maps text; lines at or above <paramref name="limit"/> (the vsyscall page) are left out.</summary>
    public static List<FuzzMapsLine> Parse(string maps, ulong limit)
    {
        var lines = new List<FuzzMapsLine>();
        foreach (string text in maps.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] f = text.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            int dash = f[0].IndexOf('-', StringComparison.Ordinal);
            ulong start = ulong.Parse(f[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (start >= limit)
            {
                continue;
            }
            ulong end = ulong.Parse(f[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong offset = ulong.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong inode = ulong.Parse(f[4], CultureInfo.InvariantCulture);
            lines.Add(new FuzzMapsLine(start, end, f[1], offset, f[3], inode, f.Length > 5 ? f[5].Trim() : "", text));
        }
        return lines;
    }

    /// <summary>Whether the line shares a byte with [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public bool Intersects(ulong start, ulong end) => Start < end && start < End;

    /// <summary>The PROT_ bits of the permissions.</summary>
    public int Prot => (Perms[0] == 'r' ? 1 : 0) | (Perms[1] == 'w' ? 2 : 0) | (Perms[2] == 'x' ? 4 : 0);

    public override string ToString() => Text;
}
