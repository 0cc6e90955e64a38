using System.Text;
using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>What a run of a program produced: its exit status as a shell sees it, and its output.</summary>
/// <param name="ShellStatus">The exit code, or 128 + the signal that killed it.</param>
/// <param name="Stdout">Everything it wrote to standard output.</param>
/// <param name="Stderr">Everything it wrote to standard error.</param>
internal sealed record RunResult(int ShellStatus, byte[] Stdout, byte[] Stderr)
{
    /// <summary>The signal that killed the program (Warden's runs only; a native run's shows in <see cref="ShellStatus"/>).</summary>
    public int Signal { get; init; }

    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    /// <summary>Asserts that <paramref name="warden"/> ended and wrote exactly what <paramref name="native"/> did.</summary>
    public static void AssertSame(RunResult native, RunResult warden)
    {
        Assert.True(native.Stderr.AsSpan().SequenceEqual(warden.Stderr),
            $"stderr differs.\nnative:\n{Clip(native.StderrText)}\nwarden:\n{Clip(warden.StderrText)}");
        AssertSameBytes("stdout", native.Stdout, warden.Stdout);
        Assert.True(native.ShellStatus == warden.ShellStatus,
            $"exit status: native {native.ShellStatus}, warden {warden.ShellStatus}; warden's stderr: {Clip(warden.StderrText)}");
    }

    /// <summary>Asserts two byte strings are equal, naming the first differing offset (and the text around it) if not.</summary>
    public static void AssertSameBytes(string what, byte[] expected, byte[] actual)
    {
        int n = Math.Min(expected.Length, actual.Length);
        int at = expected.AsSpan(0, n).CommonPrefixLength(actual.AsSpan(0, n));
        if (at == n && expected.Length == actual.Length)
        {
            return;
        }
        int from = Math.Max(0, at - 80);
        string Around(byte[] b) => Encoding.UTF8.GetString(b, Math.Min(from, b.Length), Math.Min(200, Math.Max(0, b.Length - from)));
        Assert.Fail($"{what} differs at byte {at} (native {expected.Length} bytes, warden {actual.Length}).\n" +
            $"native: ...{Around(expected)}\nwarden: ...{Around(actual)}");
    }

    private static string Clip(string s) => s.Length <= 2000 ? s : s[..2000] + "...";
}
