using System.Collections.Concurrent;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Warden.SafeMem;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>
/// I/O on two threads while a third maps, remaps and unmaps the same addresses, over a real
/// <see cref="MemoryFile"/>: nothing crashes, and every byte read comes from a file range that was
/// mapped there (two ranges with distinct fill bytes make the source visible).
/// </summary>
public class SoftMmuConcurrencyTests
{
    private const ulong P = (ulong)Arch.PageSize;
    private const int WindowPages = 8;
    private const int MapperSteps = 20_000;
    private const byte FillA = 0xAA;
    private const byte FillB = 0x55;
    private static readonly Addr s_base = new(0x400000);

    [Fact]
    public void IOWhileMappingAndUnmapping_SeesOnlyMappedBytes()
    {
        (MemoryFile? created, Error? createError) = MemoryFile.Create();
        Assert.Null(createError);
        using MemoryFile memory = created!;
        FileRange a = Allocate(memory, FillA);
        FileRange b = Allocate(memory, FillB);
        SoftMmuAddressSpace space = new SoftMmuPlatform(memory).NewSoftMmuAddressSpace();

        var failures = new ConcurrentQueue<string>();
        int mapperDone = 0;
        long copies = 0, words = 0;

        var mapper = new Thread(() => Guard(failures, () =>
        {
            var random = new Random(1234);
            for (int i = 0; i < MapperSteps; i++)
            {
                ulong start = (ulong)random.Next(WindowPages);
                ulong count = 1 + (ulong)random.Next(WindowPages - (int)start);
                switch (random.Next(3))
                {
                    case 0:
                        space.MapFile(s_base + (start * P), memory, Slice(a, start, count), AccessType.ReadWrite, false);
                        break;
                    case 1:
                        space.MapFile(s_base + (start * P), memory, Slice(b, start, count), AccessType.ReadWrite, false);
                        break;
                    default:
                        space.Unmap(s_base + (start * P), count * P);
                        break;
                }
            }
        }));

        var copier = new Thread(() => Guard(failures, () =>
        {
            var dst = new byte[WindowPages * P];
            do
            {
                dst.AsSpan().Clear();
                (int n, Error? error) = space.CopyIn(s_base, dst);
                copies++;
                if (n < dst.Length && (error is not SegmentationFault fault || fault.Addr != s_base + (ulong)n))
                {
                    failures.Enqueue($"short copy of {n} with {error}");
                }
                // Faults happen at page boundaries here, and each page comes wholly from one range.
                if ((ulong)n % P != 0)
                {
                    failures.Enqueue($"copy stopped inside a page: {n}");
                }
                for (int page = 0; page < n / (int)P; page++)
                {
                    ReadOnlySpan<byte> bytes = dst.AsSpan(page * (int)P, (int)P);
                    if ((bytes[0] != FillA && bytes[0] != FillB) || bytes.IndexOfAnyExcept(bytes[0]) >= 0)
                    {
                        failures.Enqueue($"page {page} holds bytes no mapped range had");
                    }
                }
            }
            while (Volatile.Read(ref mapperDone) == 0 && failures.IsEmpty);
        }));

        var atomics = new Thread(() => Guard(failures, () =>
        {
            var random = new Random(99);
            do
            {
                Addr word = s_base + ((ulong)random.Next(WindowPages * (int)P / 4) * 4);
                const uint wordA = 0xAAAAAAAA, wordB = 0x55555555;
                // A compare-and-swap that writes back what is there exercises the write path without changing contents.
                (uint value, Error? error) = (random.Next(2) == 0)
                    ? space.LoadUint32(word)
                    : space.CompareAndSwapUint32(word, wordA, wordA);
                words++;
                if (error is null ? value is not (wordA or wordB) : error is not SegmentationFault)
                {
                    failures.Enqueue($"word at {word}: 0x{value:x}, {error}");
                }
            }
            while (Volatile.Read(ref mapperDone) == 0 && failures.IsEmpty);
        }));

        copier.Start();
        atomics.Start();
        mapper.Start();
        mapper.Join();
        Volatile.Write(ref mapperDone, 1);
        copier.Join();
        atomics.Join();

        Assert.Empty(failures);
        Assert.True(copies > 0 && words > 0);
        Assert.Equal(MapperSteps, space.MapFileCalls + space.UnmapCalls);

        space.Release();
        memory.DecRef(a);
        memory.DecRef(b);
    }

    private static FileRange Allocate(MemoryFile memory, byte fill)
    {
        (FileRange fr, Error? error) = memory.Allocate(WindowPages * P, MemoryKind.Anonymous);
        Assert.Null(error);
        (BlockSeq blocks, error) = memory.MapInternal(fr, AccessType.WriteOnly);
        Assert.Null(error);
        foreach (Block block in blocks)
        {
            block.AsSpan().Fill(fill);
        }
        return fr;
    }

    private static FileRange Slice(FileRange fr, ulong startPage, ulong pages) =>
        new(fr.Start + (startPage * P), fr.Start + ((startPage + pages) * P));

    private static void Guard(ConcurrentQueue<string> failures, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            failures.Enqueue(e.ToString());
        }
    }
}
