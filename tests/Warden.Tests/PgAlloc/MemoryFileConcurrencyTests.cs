using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.SafeMem;
using Xunit;
using static Warden.Tests.PgAlloc.MemoryFileFixture;

namespace Warden.Tests.PgAlloc;

public class MemoryFileConcurrencyTests
{
    private const int Threads = 8;
    private const int Iterations = 2000;

    [Fact]
    public void ConcurrentAllocateIncRefDecRefMapInternal_KeepCountsAndContents()
    {
        using MemoryFile file = Create(maxSize: 64 * MiB, chunkSize: 2 * MiB, growStep: MiB);
        var failures = new List<string>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t + 1;
            threads[t] = new Thread(() =>
            {
                try
                {
                    Run(file, id);
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add($"thread {id}: {e}");
                    }
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        Assert.Empty(failures);
        Assert.Equal(0, file.SegmentCount);
        Assert.True(file.TotalUsage().Usage <= 64 * 1024);
    }

    private static void Run(MemoryFile file, int id)
    {
        var random = new Random(id);
        var held = new List<FileRange>();
        for (int i = 0; i < Iterations; i++)
        {
            ulong pages = (ulong)random.Next(1, 5);
            AllocOpts opts = new(Direction: random.Next(2) == 0 ? AllocDirection.BottomUp : AllocDirection.TopDown);
            (FileRange fr, Error? error) = file.Allocate(pages * Page, MemoryKind.Anonymous, opts);
            Check(error is null, $"Allocate failed: {error}");
            Check(file.HasUniqueRef(fr), $"{fr} is not uniquely referenced right after Allocate");

            (BlockSeq blocks, error) = file.MapInternal(fr, AccessType.ReadWrite);
            Check(error is null, $"MapInternal failed: {error}");
            foreach (Block b in blocks)
            {
                Check(b.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"{fr} was not zero when allocated");
                b.AsSpan().Fill((byte)id);
            }

            file.IncRef(fr, 0);
            Check(file.RefCount(fr.Start) == 2 && !file.HasUniqueRef(fr), $"{fr} should hold two references");
            file.DecRef(fr);
            Check(file.HasUniqueRef(fr), $"{fr} should hold one reference");
            held.Add(fr);

            if (held.Count > 8 || random.Next(3) == 0)
            {
                int k = random.Next(held.Count);
                FileRange victim = held[k];
                held.RemoveAt(k);
                byte[] bytes = ReadMapped(file, victim);
                Check(bytes.AsSpan().IndexOfAnyExcept((byte)id) < 0, $"{victim} was overwritten by another thread");
                file.DecRef(victim);
            }
        }
        foreach (FileRange fr in held)
        {
            file.DecRef(fr);
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
