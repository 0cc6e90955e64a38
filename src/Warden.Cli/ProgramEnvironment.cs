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

    /// <summary>Warden's own environment, ordered by name (the runtime keeps it unordered).</summary>
    public static IReadOnlyList<string> Current()
    {
        IDictionary variables = System.Environment.GetEnvironmentVariables();
        var names = new List<string>(variables.Count);
        foreach (object name in variables.Keys)
        {
            names.Add((string)name);
        }
        names.Sort(StringComparer.Ordinal);
        var entries = new List<string>(names.Count);
        foreach (string name in names)
        {
            entries.Add($"{name}={variables[name]}");
        }
        return entries;
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
