using System.Text;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// One vma as <c>/proc/[pid]/smaps</c> shows it, clipped to a window's snapshot regions: its bounds
/// and the VmFlags the oracle compares (see <see cref="ComparedFlags"/>), space-separated in Linux's order.
/// </summary>
public readonly record struct VmaState(ulong Start, ulong End, string Flags)
{
    /// <summary>
    /// The VmFlags both sides can be held to: access (rd wr ex sh), may-access (mr mw me ms),
    /// grows-down (gd), locked (lo), fork behaviour (dc wf).
    /// </summary>
    /// <remarks>
    /// Left out, each a known difference of Warden's smaps text rather than of its semantics (the
    /// report lists them): <c>lf</c> (VM_LOCKONFAULT: Linux prints it with lo after mlock2(MLOCK_ONFAULT)
    /// or mlockall(MCL_ONFAULT), Warden never does), <c>ac</c> (VM_ACCOUNT: Warden prints it for the
    /// private vmas that are writable now and only those; Linux for the charged ones, which stay
    /// charged after mprotect to read-only or PROT_NONE, and not for MAP_NORESERVE or never-written
    /// read-only ones), <c>nr</c> (VM_NORESERVE, which Warden does not print: the window's guards show
    /// it on Linux); and the host's own: <c>sd</c> (soft-dirty), <c>mg</c>, <c>hg</c>/<c>nh</c>. Each
    /// was seen in wide runs with the flag compared (seeds 0-39).
    /// </remarks>
    public static IReadOnlySet<string> ComparedFlags { get; } =
        new HashSet<string>(StringComparer.Ordinal) { "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "lo", "dc", "wf" };

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
