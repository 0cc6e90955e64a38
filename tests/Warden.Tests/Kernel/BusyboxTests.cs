using System.Text;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel;

/// <summary>
/// busybox applets under Warden write the same bytes to stdout and stderr, and end with the same
/// status, as the same command run natively by the test (same arguments, environment, working
/// directory and input). Inputs are generated deterministically in a temporary directory.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class BusyboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-busybox-").FullName;

    public BusyboxTests()
    {
        Busybox.Require();
        KernelRunner.RequirePtrace();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs <paramref name="spec"/> natively and under Warden (in the temporary directory) and asserts the same results.</summary>
    private RunResult Same(RunSpec spec)
    {
        spec = spec with { WorkingDirectory = spec.WorkingDirectory ?? _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        return warden;
    }

    private string Put(string name, string text) => Put(name, Encoding.UTF8.GetBytes(text));

    private string Put(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Deterministic text: numbered lines of pseudo-random words (some repeated, for uniq and sort).</summary>
    internal static string Lines(int count, int seed)
    {
        var random = new Random(seed);
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "Lambda", "MU", "nu", "xi"];
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            int n = random.Next(1, 6);
            for (int w = 0; w < n; w++)
            {
                text.Append(w == 0 ? "" : " ").Append(words[random.Next(words.Length)]);
            }
            text.Append(' ').Append(random.Next(1000)).Append('\n');
        }
        return text.ToString();
    }

    [SkippableFact]
    public void Echo() => Same(RunSpec.Busybox("echo", "hello", "world", "-n", "  spaced  "));

    [SkippableFact]
    public void EchoWithEscapes() => Same(RunSpec.Busybox("echo", "-e", "tab\\there\\nnew line\\0101"));

    [SkippableFact]
    public void True() => Assert.Equal(0, Same(RunSpec.Busybox("true")).ShellStatus);

    [SkippableFact]
    public void False() => Assert.Equal(1, Same(RunSpec.Busybox("false")).ShellStatus);
}
