using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Warden.Contexts;
using Warden.HostArch;
using Warden.Mm;
using static Warden.Benchmarks.MemoryManagerBenchLinux;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MemoryManager.CopyIn"/> and <see cref="MemoryManager.CopyOut"/> on a populated mapping (its
/// pmas exist, so every copy takes the fast path: the pma lookup, <c>MapInternal</c> and the block copy),
/// beside a raw copy (<c>Span.CopyTo</c>, a memmove) between a page-aligned anonymous mapping and the
/// same buffer: the floor, and what a kernel's copy_to/from_user costs on the same bytes.
/// </summary>
/// <remarks>
/// As in <see cref="BytesIOCopyBenchmarks"/>, each direction has its own baseline (categories In, Out):
/// both sources/destinations start a page, so the copies see the same 4 KiB alignment.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class MemoryManagerCopyBenchmarks
{
    private const ulong MappingLength = 2UL << 20;

    private readonly IContext _ctx = Context.Background;
    private MemoryManagerBenchEnv _env = null!;
    private Addr _addr;
    private nint _raw;
    private byte[] _buffer = null!;

    /// <summary>The bytes copied per operation: a word, a page, a large read.</summary>
    [Params(8, 4096, 1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _env = MemoryManagerBenchEnv.Create(activate: true);
        // 2 MiB-aligned, so one fault makes one pma for all of it.
        ulong addr = _env.MapAnonymous(0x2000_0000_0000, MappingLength, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
        _env.Populate(addr, MappingLength);
        _addr = (Addr)addr;
        _raw = MapAligned((nuint)MappingLength, 4096);
        new Span<byte>((void*)_raw, (int)MappingLength).Fill(0x5a);
        _buffer = GC.AllocateArray<byte>(Size, pinned: true);
        (int n, Errors.Error? error) = _env.Mm.CopyIn(_ctx, _addr, _buffer, default);
        MemoryManagerBenchEnv.Check(error, "CopyIn");
        (int m, error) = _env.Mm.CopyOut(_ctx, _addr, _buffer, default);
        MemoryManagerBenchEnv.Check(error, "CopyOut");
        Check(n == Size && m == Size, "copy length");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _env.Dispose();
        _ = Munmap(_raw, (nuint)MappingLength);
    }

    /// <summary>The floor for <see cref="CopyIn"/>: mapped memory to the buffer.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("In")]
    public void RawCopyIn() => new ReadOnlySpan<byte>((void*)_raw, Size).CopyTo(_buffer);

    [Benchmark]
    [BenchmarkCategory("In")]
    public int CopyIn() => _env.Mm.CopyIn(_ctx, _addr, _buffer, default).Count;

    /// <summary>The floor for <see cref="CopyOut"/>: the buffer to mapped memory.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Out")]
    public void RawCopyOut() => _buffer.AsSpan().CopyTo(new Span<byte>((void*)_raw, Size));

    [Benchmark]
    [BenchmarkCategory("Out")]
    public int CopyOut() => _env.Mm.CopyOut(_ctx, _addr, _buffer, default).Count;
}
