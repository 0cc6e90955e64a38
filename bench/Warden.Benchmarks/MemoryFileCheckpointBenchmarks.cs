using System.Runtime.Versioning;
using BenchmarkDotNet.Attributes;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.SafeMem;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MemoryFile.SaveTo"/> and <see cref="MemoryFile.LoadFrom"/> of a 1 GiB allocation of
/// which 10% of the pages are committed (non-zero): the time should follow the committed size
/// (about 102 MiB), not the 1 GiB allocated.
/// </summary>
[MemoryDiagnoser]
[SupportedOSPlatform("linux")]
public class MemoryFileCheckpointBenchmarks
{
    private const ulong Size = 1UL << 30;
    private const int RunPages = 16;

    private MemoryFile _source = null!;
    private MemoryStream _image = null!;
    private MemoryFile? _target;

    /// <summary>The share of pages committed: 10 (the target's case) and 1, to show the time follows it.</summary>
    [Params(1, 10)]
    public int CommittedPercent { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = CreateFile();
        (FileRange fr, Error? error) = _source.Allocate(Size, MemoryKind.Anonymous);
        Check(error);
        // One run of 16 pages in every 16 * 100 / CommittedPercent, in runs as real memory tends to be.
        var random = new Random(1);
        byte[] run = new byte[RunPages * Arch.PageSize];
        for (ulong at = fr.Start; at < fr.End; at += (ulong)(100 / CommittedPercent) * RunPages * (ulong)Arch.PageSize)
        {
            random.NextBytes(run);
            (BlockSeq blocks, error) = _source.MapInternal(new FileRange(at, at + (ulong)run.Length), AccessType.WriteOnly);
            Check(error);
            run.CopyTo(blocks.Head.AsSpan());
        }
        _image = new MemoryStream(capacity: (int)(Size / 9));
        Check(_source.SaveTo(_image));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Destroy();
        _target?.Destroy();
    }

    [Benchmark]
    public void SaveTo()
    {
        _image.Position = 0;
        Check(_source.SaveTo(_image));
    }

    [IterationSetup(Target = nameof(LoadFrom))]
    public void NewTarget()
    {
        _target?.Destroy();
        _target = CreateFile();
    }

    [Benchmark]
    public void LoadFrom()
    {
        _image.Position = 0;
        Check(_target!.LoadFrom(_image));
    }

    private static MemoryFile CreateFile()
    {
        (MemoryFile? file, Error? error) = MemoryFile.Create(4UL << 30);
        Check(error);
        return file!;
    }

    private static void Check(Error? error)
    {
        if (error is not null)
        {
            throw new InvalidOperationException(error.Message);
        }
    }
}
