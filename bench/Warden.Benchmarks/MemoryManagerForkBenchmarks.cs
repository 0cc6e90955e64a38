using BenchmarkDotNet.Attributes;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MemoryManager.Fork"/> of an address space with 64 MiB of written private anonymous memory,
/// mapped into its SoftMmu address space, followed by the child's <c>Dispose</c> (the child exits).
/// </summary>
/// <remarks>
/// The Linux baseline (fork, child _exit, waitpid, of a C process with the same 64 MiB populated) runs in
/// setup, from <c>bench/native/fork_bench.c</c> built with gcc; its figures are printed to the log as
/// <c>// fork_bench: ...</c> lines. <see cref="MemoryManagerCowBenchmarks"/> measures the writes after a fork.
/// </remarks>
[MemoryDiagnoser]
public class MemoryManagerForkBenchmarks
{
    /// <summary>The populated size: 64 MiB.</summary>
    public const ulong Length = 64UL << 20;

    private MemoryManagerBenchEnv _env = null!;

    [GlobalSetup]
    public void Setup()
    {
        foreach (string line in MemoryManagerBenchNative.ForkBench.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine($"// fork_bench (Linux, 64 MiB; name median_ns mean_ns): {line}");
        }
        _env = MemoryManagerBenchEnv.Create(activate: true);
        ulong addr = _env.MapAnonymous(0, Length, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
        _env.Populate(addr, Length);
        _env.FaultIn(addr, Length);
    }

    [GlobalCleanup]
    public void Cleanup() => _env.Dispose();

    [Benchmark]
    public void ForkAndExit64MiB()
    {
        (MemoryManager? child, Error? error) = _env.Mm.Fork(_env.Ctx);
        MemoryManagerBenchEnv.Check(error, "Fork");
        child!.Dispose();
    }
}
