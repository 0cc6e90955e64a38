using Xunit;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// Tests that need something from the machine (a compiler, a package) call <see cref="Require"/>.
/// On a developer's machine a missing prerequisite skips the test with a message naming it; in CI
/// (<c>CI=true</c>) it fails the test, so a missing install step cannot pass unnoticed.
/// </summary>
public static class Prerequisite
{
    public static bool InCI =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or in CI fails) the calling test unless <paramref name="available"/>.</summary>
    public static void Require(bool available, string what)
    {
        if (available)
        {
            return;
        }
        string message = $"Missing prerequisite: {what}.";
        if (InCI)
        {
            Assert.Fail(message + " CI must install it (see .ci/run).");
        }
        Skip.If(true, message);
    }

    /// <summary>Finds <paramref name="program"/> on PATH.</summary>
    public static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
