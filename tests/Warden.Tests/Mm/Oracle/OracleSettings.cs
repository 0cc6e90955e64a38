using System.Globalization;
using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// How much the oracle theories run, from environment variables for long runs; unset, each keeps
/// the fixed CI subset it names as its default.
/// </summary>
/// <remarks>
/// A seed variable holds a count <c>N</c> (seeds 0 to N-1) or a range <c>from-to</c> (seeds
/// <c>from</c> up to but not including <c>to</c>): <c>WARDEN_ORACLE_SEEDS=10000-11000</c> runs 1,000
/// fresh seeds. Variables: <c>WARDEN_ORACLE_SEEDS</c> (in-process runs), <c>WARDEN_ORACLE_BRK_SEEDS</c>
/// (brk runs in a child), <c>WARDEN_ORACLE_WIDE_SEEDS</c> (the wider op kinds, in a child) and
/// <c>WARDEN_ORACLE_OPS</c> (ops per sequence, every run).
/// A value that does not parse fails the run rather than silently falling back to the default.
/// </remarks>
public static class OracleSettings
{
    /// <summary>The sequence length of CI runs.</summary>
    public const int DefaultOpsPerSeed = 200;

    /// <summary>Ops per sequence: <c>WARDEN_ORACLE_OPS</c> or <see cref="DefaultOpsPerSeed"/>.</summary>
    public static int OpsPerSeed { get; } = ParseOps(Environment.GetEnvironmentVariable("WARDEN_ORACLE_OPS"));

    /// <summary>The seeds <paramref name="variable"/> names, or 0 to <paramref name="defaultCount"/>-1 when it is unset.</summary>
    public static TheoryData<int> Seeds(string variable, int defaultCount)
    {
        (int from, int to) = ParseSeeds(Environment.GetEnvironmentVariable(variable), defaultCount, variable);
        var data = new TheoryData<int>();
        for (int seed = from; seed < to; seed++)
        {
            data.Add(seed);
        }
        return data;
    }

    /// <summary>Parses a seed variable's value (see the remarks); <c>null</c> or empty gives [0, <paramref name="defaultCount"/>).</summary>
    internal static (int From, int To) ParseSeeds(string? value, int defaultCount, string variable = "seed variable")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (0, defaultCount);
        }
        string[] parts = value.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length == 1 && TryParseCount(parts[0], out int count))
        {
            return (0, count);
        }
        if (parts.Length == 2 && TryParseCount(parts[0], out int from) && TryParseCount(parts[1], out int to) && from < to)
        {
            return (from, to);
        }
        throw new FormatException($"{variable}='{value}': expected a seed count N or a range from-to (to excluded).");
    }

    internal static int ParseOps(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultOpsPerSeed;
        }
        if (TryParseCount(value.Trim(), out int ops) && ops > 0)
        {
            return ops;
        }
        throw new FormatException($"WARDEN_ORACLE_OPS='{value}': expected a positive op count.");
    }

    private static bool TryParseCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
