using System.Runtime.Versioning;
using BenchmarkDotNet.Attributes;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.SafeMem;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MemoryFile"/>'s hot operations: an allocation and its release, <c>MapInternal</c> of a
/// chunk already mapped (which must not allocate), and first-touch writes over a fresh 2 MiB
/// allocation beside the same writes over a raw anonymous <c>mmap</c> (the kernel's own cost).
/// </summary>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public unsafe class MemoryFileBenchmarks
{
    private const ulong TwoMiB = 2UL << 20;

    private MemoryFile _file = null!;
    private FileRange _mapped;

    [GlobalSetup]
    public void Setup()
    {
        (MemoryFile? file, Error? error) = MemoryFile.Create(64UL << 30);
        if (error is not null)
        {
            throw new InvalidOperationException($"MemoryFile.Create: {error}");
        }
        _file = file!;
        (_mapped, error) = _file.Allocate(Arch.PageSize, MemoryKind.Anonymous);
        if (error is not null)
        {
            throw new InvalidOperationException($"Allocate: {error}");
        }
        // Maps the first chunk, so MapInternal below measures the cached path.
        _ = _file.MapInternal(_mapped, AccessType.ReadWrite);
    }

    [GlobalCleanup]
    public void Cleanup() => _file.Destroy();

    [Benchmark]
    public void AllocateDecRef4KiB()
    {
        (FileRange fr, _) = _file.Allocate(Arch.PageSize, MemoryKind.Anonymous);
        _file.DecRef(fr);
    }

    [Benchmark]
    public void AllocateDecRef2MiB()
    {
        (FileRange fr, _) = _file.Allocate(TwoMiB, MemoryKind.Anonymous);
        _file.DecRef(fr);
    }

    [Benchmark]
    public BlockSeq MapInternalCached() => _file.MapInternal(_mapped, AccessType.ReadWrite).Blocks;

    [Benchmark]
    public void FirstTouch2MiBMemoryFile()
    {
        (FileRange fr, _) = _file.Allocate(TwoMiB, MemoryKind.Anonymous, new AllocOpts(Huge: true));
        (BlockSeq blocks, _) = _file.MapInternal(fr, AccessType.ReadWrite);
        Touch((byte*)blocks.Head.Address, (int)TwoMiB);
        _file.DecRef(fr);
    }

    [Benchmark(Baseline = true)]
    public void FirstTouch2MiBAnonymousMmap()
    {
        (nint p, Errno? error) = Libc.MmapAnonymous(null, (nuint)TwoMiB, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE, LinuxMman.MAP_PRIVATE, 0);
        if (error is not null)
        {
            throw new InvalidOperationException($"mmap: {error}");
        }
        Touch((byte*)p, (int)TwoMiB);
        _ = Libc.Munmap((void*)p, (nuint)TwoMiB);
    }

    // Writes one byte in every page: each write is a first touch.
    private static void Touch(byte* p, int length)
    {
        for (int off = 0; off < length; off += Arch.PageSize)
        {
            p[off] = 1;
        }
    }
}
