using BenchmarkDotNet.Attributes;
using Warden.HostArch;
using Warden.Mm;

namespace Warden.Benchmarks;

/// <summary>
/// The first write to each page of 64 MiB of private anonymous memory after a <see cref="MemoryManager.Fork"/>,
/// while the child still shares it: a write fault (<c>HandleUserFault</c>) per page, each breaking
/// copy-on-write by copying the page; per page.
/// </summary>
/// <remarks>
/// The fork happens in <c>[IterationSetup]</c> and the child's Dispose in <c>[IterationCleanup]</c>, so
/// one invocation per iteration (16,384 faults, tens of milliseconds) measures the writes alone. The
/// Linux baseline is fork_bench's <c>first_write_per_page</c> (see <see cref="MemoryManagerForkBenchmarks"/>).
/// From the second iteration on the parent's memory is the previous iteration's page-by-page copies.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
public class MemoryManagerCowBenchmarks
{
    private const int Pages = (int)(MemoryManagerForkBenchmarks.Length / Arch.PageSize);

    private MemoryManagerBenchEnv _env = null!;
    private ulong _addr;
    private MemoryManager? _child;

    [GlobalSetup]
    public void Setup()
    {
        _env = MemoryManagerBenchEnv.Create(activate: true);
        _addr = _env.MapAnonymous(0, MemoryManagerForkBenchmarks.Length, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
        _env.Populate(_addr, MemoryManagerForkBenchmarks.Length);
        _env.FaultIn(_addr, MemoryManagerForkBenchmarks.Length);
    }

    [GlobalCleanup]
    public void Cleanup() => _env.Dispose();

    [IterationSetup]
    public void Fork()
    {
        (_child, Errors.Error? error) = _env.Mm.Fork(_env.Ctx);
        MemoryManagerBenchEnv.Check(error, "Fork");
    }

    [IterationCleanup]
    public void ExitChild()
    {
        _child?.Dispose();
        _child = null;
    }

    [Benchmark(OperationsPerInvoke = Pages)]
    public void FirstWriteAfterFork()
    {
        for (int i = 0; i < Pages; i++)
        {
            _ = _env.Mm.HandleUserFault(_env.Ctx, (Addr)(_addr + ((ulong)i << Arch.PageShift)), AccessType.WriteOnly, default);
        }
    }
}
