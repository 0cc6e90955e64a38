using System.Text;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel;

/// <summary>
/// busybox over large inputs (a 64 MiB file hashed, a 10 MB file sorted): the bytes pass through
/// Warden's read path and the program's memory in many pieces, and the results are the native run's.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class BigFileTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-bigfile-").FullName;

    public BigFileTests()
    {
        Busybox.Require();
        KernelRunner.RequirePtrace();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Same(RunSpec spec)
    {
        spec = spec with { WorkingDirectory = _dir, Timeout = Timeout };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
    }

    private void MakeRandomFile(string name, long size, int seed)
    {
        var random = new Random(seed);
        var chunk = new byte[1 << 20];
        using FileStream file = File.Create(Path.Combine(_dir, name));
        for (long written = 0; written < size; written += chunk.Length)
        {
            random.NextBytes(chunk);
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, size - written));
        }
    }

    [SkippableFact]
    public void Md5sumOf64MiB()
    {
        MakeRandomFile("big.bin", 64L << 20, 21);
        Same(RunSpec.Busybox("md5sum", "big.bin"));
    }

    [SkippableFact]
    public void Sha256sumOf64MiB()
    {
        MakeRandomFile("big.bin", 64L << 20, 22);
        Same(RunSpec.Busybox("sha256sum", "big.bin"));
    }

    [SkippableFact]
    public void Md5sumOf64MiBFromStdin()
    {
        MakeRandomFile("big.bin", 64L << 20, 23);
        Same(RunSpec.Busybox("md5sum") with { StdinFile = Path.Combine(_dir, "big.bin") });
    }

    [SkippableFact]
    public void SortOf10MB()
    {
        var text = new StringBuilder();
        while (text.Length < 10_000_000)
        {
            text.Append(BusyboxTests.Lines(10000, text.Length));
        }
        File.WriteAllText(Path.Combine(_dir, "big.txt"), text.ToString());
        Same(RunSpec.Busybox("sort", "big.txt"));
        Same(RunSpec.Busybox("sort", "-r", "-n", "-k", "2", "big.txt"));
    }
}
