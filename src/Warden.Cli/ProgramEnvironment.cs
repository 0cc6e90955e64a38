using System.Collections;

namespace Warden.Cli;

/// <summary>Builds the environment <c>warden run</c> gives its program, as <c>env(1)</c> does.</summary>
internal static class ProgramEnvironment
{
    /// <summary>
    /// The environment: <paramref name="baseEnvironment"/> (none if <paramref name="clear"/>), then each
    /// of <paramref name="settings"/> in order, replacing an earlier value of the same name where it
    /// stood, or added at the end.
    /// </summary>
    /// <returns>The <c>NAME=VALUE</c> strings; or the first setting that is not <c>NAME=VALUE</c> with a non-empty name.</returns>
    public static (IReadOnlyList<string> Environment, string? BadSetting) Build(
        IReadOnlyList<string> baseEnvironment, bool clear, IReadOnlyList<string> settings)
    {
        ArgumentNullException.ThrowIfNull(baseEnvironment);
        ArgumentNullException.ThrowIfNull(settings);
        var result = new List<string>(clear ? settings.Count : baseEnvironment.Count + settings.Count);
        if (!clear)
        {
            result.AddRange(baseEnvironment);
        }
        foreach (string setting in settings)
        {
            int eq = setting.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return ([], setting);
            }
            int existing = IndexOfName(result, setting.AsSpan(0, eq + 1));
            if (existing >= 0)
            {
                result[existing] = setting;
            }
            else
            {
                result.Add(setting);
            }
        }
        return (result, null);
    }

    /// <summary>
    /// Warden's own environment in the order Warden was given it (from <c>/proc/self/environ</c>),
    /// so that a program sees it as it would natively; values are the current ones, variables set
    /// since start-up come after, ordered by name, and variables removed since are left out.
    /// </summary>
    public static IReadOnlyList<string> Current()
    {
        IDictionary variables = System.Environment.GetEnvironmentVariables();
        var entries = new List<string>(variables.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in InitialOrder())
        {
            if (variables[name] is string value && seen.Add(name))
            {
                entries.Add($"{name}={value}");
            }
        }
        var later = new List<string>();
        foreach (object name in variables.Keys)
        {
            if (!seen.Contains((string)name))
            {
                later.Add((string)name);
            }
        }
        later.Sort(StringComparer.Ordinal);
        foreach (string name in later)
        {
            entries.Add($"{name}={variables[name]}");
        }
        return entries;
    }

    /// <summary>The names in Warden's initial environment block, in order (none if it cannot be read).</summary>
    public static IReadOnlyList<string> InitialOrder()
    {
        byte[] block;
        try
        {
            block = File.ReadAllBytes("/proc/self/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var names = new List<string>();
        foreach (string entry in System.Text.Encoding.UTF8.GetString(block).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                names.Add(entry[..eq]);
            }
        }
        return names;
    }

    // The index of the entry that starts with prefix ("NAME="), or -1.
    private static int IndexOfName(List<string> entries, ReadOnlySpan<char> prefix)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].AsSpan().StartsWith(prefix, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }
}
