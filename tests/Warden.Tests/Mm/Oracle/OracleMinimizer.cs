namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Shrinks a failing op sequence to a short one that still fails the same way (the same kind of
/// problem), by removing ever smaller chunks of ops while the failure stays: the repro the report of
/// a divergence needs.
/// </summary>
public static class OracleMinimizer
{
    /// <summary>
    /// The shortest sequence found whose <paramref name="replay"/> still gives a problem of the kind
    /// of <paramref name="ops"/>' own (the text of the problem up to its first ':' or digit, after "op i: ").
    /// </summary>
    /// <param name="ops">A sequence <paramref name="replay"/> fails on.</param>
    /// <param name="replay">Runs a sequence on fresh targets: <c>null</c> or its problem (<see cref="OracleRunner.Replay"/>).</param>
    public static (List<OracleOp> Ops, string Problem) Minimize(IReadOnlyList<OracleOp> ops, Func<IReadOnlyList<OracleOp>, string?> replay)
    {
        string problem = replay(ops) ?? throw new ArgumentException("The sequence does not fail.", nameof(ops));
        string kind = Kind(problem);
        var current = new List<OracleOp>(ops);
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1; chunk /= 2)
        {
            bool removed;
            do
            {
                removed = false;
                for (int start = current.Count - chunk; start >= 0; start -= chunk)
                {
                    var candidate = new List<OracleOp>(current);
                    candidate.RemoveRange(start, chunk);
                    if (candidate.Count > 0 && replay(candidate) is { } p && Kind(p) == kind)
                    {
                        current = candidate;
                        problem = p;
                        removed = true;
                    }
                }
            }
            while (removed && chunk == 1);
        }
        return (current, problem);
    }

    private static string Kind(string problem)
    {
        int colon = problem.IndexOf(": ", StringComparison.Ordinal);
        string rest = problem.StartsWith("op ", StringComparison.Ordinal) || problem.StartsWith("end", StringComparison.Ordinal) ? problem[(colon + 2)..] : problem;
        int end = rest.IndexOfAny([':', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        string head = end < 0 ? rest : rest[..end];
        // "kernel failed with EINVAL but warden returned 0x0" keeps its errnos; "vma 3 differs" its kind.
        return head.Contains("failed with", StringComparison.Ordinal) || head.Contains("returned", StringComparison.Ordinal) ? rest.Split('\n')[0] : head;
    }
}
