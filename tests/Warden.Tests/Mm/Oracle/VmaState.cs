using System.Text;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// One vma as <c>/proc/[pid]/smaps</c> shows it, clipped to a window's snapshot regions: its bounds
/// and the VmFlags the oracle compares (see <see cref="ComparedFlags"/>), space-separated in Linux's order.
/// </summary>
public readonly record struct VmaState(ulong Start, ulong End, string Flags)
{
    /// <summary>
    /// The VmFlags both sides are held to: access (rd wr ex sh), may-access (mr mw me ms), grows-down
    /// (gd), locking (lo lf), read hints (sr rr), fork behaviour (dc wf), accounting (ac nr), dumping
    /// (dd), huge pages (hg nh), merging (mg) and MAP_DROPPABLE (dp). Left out: the host's own
    /// soft-dirty bit (sd).
    /// </summary>
    public static IReadOnlySet<string> ComparedFlags { get; } =
        new HashSet<string>(StringComparer.Ordinal) { "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "lo", "sr", "rr", "dc", "lf", "ac", "nr", "wf", "dd", "hg", "nh", "mg", "dp" };

    public override string ToString() => $"{Start:x}-{End:x} [{Flags}]";

    /// <summary>The vmas of smaps text <paramref name="text"/> that overlap <paramref name="window"/>'s snapshot regions, clipped to them.</summary>
    public static List<VmaState> Parse(string text, OracleWindow window)
    {
        var vmas = new List<VmaState>();
        MapsParser.Line? current = null;
        foreach (string raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                if (current is not MapsParser.Line line)
                {
                    throw new FormatException($"A VmFlags line without its vma: '{raw}'");
                }
                string flags = Compared(raw["VmFlags:".Length..]);
                foreach ((ulong start, ulong end) in window.SnapshotRegions)
                {
                    ulong from = Math.Max(start, line.Start);
                    ulong to = Math.Min(end, line.End);
                    if (from < to)
                    {
                        vmas.Add(new VmaState(from, to, flags));
                    }
                }
                current = null;
                continue;
            }
            // A vma's header line is a maps line: "start-end perms ..."; the figures are "Name:  value kB".
            int dash = raw.IndexOf('-', StringComparison.Ordinal);
            int colon = raw.IndexOf(':', StringComparison.Ordinal);
            if (dash > 0 && (colon < 0 || colon > dash))
            {
                current = MapsParser.Parse(raw)[0];
            }
        }
        return vmas;
    }

    private static string Compared(string vmFlags)
    {
        var text = new StringBuilder();
        foreach (string flag in vmFlags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ComparedFlags.Contains(flag))
            {
                text.Append(text.Length == 0 ? "" : " ").Append(flag);
            }
        }
        return text.ToString();
    }
}
