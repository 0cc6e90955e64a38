using Warden.Platform;
using Xunit;

namespace Warden.Tests.Platform;

public class MemoryAccountingTests
{
    private static readonly MemoryKind[] s_allKinds = Enum.GetValues<MemoryKind>();

    [Fact]
    public void Kinds_AreInTheSeedsOrder()
    {
        Assert.Equal(
            [MemoryKind.System, MemoryKind.Anonymous, MemoryKind.PageCache, MemoryKind.Tmpfs, MemoryKind.Ramdiskfs, MemoryKind.Mapped],
            s_allKinds);
        for (int i = 0; i < s_allKinds.Length; i++)
        {
            Assert.Equal(i, (int)s_allKinds[i]);
        }
    }

    [Fact]
    public void New_IsAllZero()
    {
        var accounting = new MemoryAccounting();
        Assert.Equal(default, accounting.Snapshot());
        Assert.Equal(0UL, accounting.Total());
    }

    [Fact]
    public void IncAndDec_ChangeOnlyTheirKind()
    {
        foreach (MemoryKind kind in s_allKinds)
        {
            var accounting = new MemoryAccounting();
            accounting.Inc(4096 * 3, kind);
            accounting.Dec(4096, kind);
            MemoryStats stats = accounting.Snapshot();
            foreach (MemoryKind other in s_allKinds)
            {
                Assert.Equal(other == kind ? 8192UL : 0UL, stats[other]);
                Assert.Equal(stats[other], accounting.Get(other));
            }
        }
    }

    [Fact]
    public void Snapshot_NamesEachKind()
    {
        var accounting = new MemoryAccounting();
        for (int i = 0; i < s_allKinds.Length; i++)
        {
            accounting.Inc((ulong)(i + 1) * 100, s_allKinds[i]);
        }
        Assert.Equal(new MemoryStats(System: 100, Anonymous: 200, PageCache: 300, Tmpfs: 400, Ramdiskfs: 500, Mapped: 600), accounting.Snapshot());
    }

    [Fact]
    public void Total_LeavesOutMapped()
    {
        var accounting = new MemoryAccounting();
        accounting.Inc(1, MemoryKind.System);
        accounting.Inc(2, MemoryKind.Anonymous);
        accounting.Inc(4, MemoryKind.PageCache);
        accounting.Inc(8, MemoryKind.Tmpfs);
        accounting.Inc(16, MemoryKind.Ramdiskfs);
        accounting.Inc(1000, MemoryKind.Mapped);
        Assert.Equal(31UL, accounting.Total());
        Assert.Equal(31UL, accounting.Snapshot().Total);
    }

    [Fact]
    public void Move_TransfersBytesBetweenKinds()
    {
        var accounting = new MemoryAccounting();
        accounting.Inc(10_000, MemoryKind.PageCache);
        accounting.Move(4_000, MemoryKind.Anonymous, MemoryKind.PageCache);
        Assert.Equal(6_000UL, accounting.Get(MemoryKind.PageCache));
        Assert.Equal(4_000UL, accounting.Get(MemoryKind.Anonymous));
        Assert.Equal(10_000UL, accounting.Total());
    }

    [Fact]
    public void Dec_BelowZero_Throws_AndChangesNothing()
    {
        var accounting = new MemoryAccounting();
        accounting.Inc(100, MemoryKind.Tmpfs);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => accounting.Dec(101, MemoryKind.Tmpfs));
        Assert.Contains("Tmpfs", e.Message, StringComparison.Ordinal);
        Assert.Equal(100UL, accounting.Get(MemoryKind.Tmpfs));
        Assert.Throws<InvalidOperationException>(() => accounting.Dec(1, MemoryKind.System));
        Assert.Equal(0UL, accounting.Get(MemoryKind.System));
    }

    [Fact]
    public void Move_MoreThanTheSourceHolds_Throws_AndChangesNothing()
    {
        var accounting = new MemoryAccounting();
        accounting.Inc(100, MemoryKind.Anonymous);
        Assert.Throws<InvalidOperationException>(() => accounting.Move(200, MemoryKind.System, MemoryKind.Anonymous));
        Assert.Equal(new MemoryStats(0, 100, 0, 0, 0, 0), accounting.Snapshot());
    }

    [Fact]
    public void UndefinedKind_Throws_AndChangesNothing()
    {
        var accounting = new MemoryAccounting();
        accounting.Inc(100, MemoryKind.Anonymous);
        Assert.Throws<ArgumentOutOfRangeException>(() => accounting.Inc(1, (MemoryKind)6));
        Assert.Throws<ArgumentOutOfRangeException>(() => accounting.Dec(1, (MemoryKind)(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => accounting.Get((MemoryKind)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => accounting.Move(1, (MemoryKind)6, MemoryKind.Anonymous));
        Assert.Throws<ArgumentOutOfRangeException>(() => accounting.Snapshot()[(MemoryKind)6]);
        Assert.Equal(new MemoryStats(0, 100, 0, 0, 0, 0), accounting.Snapshot());
    }

    [Fact]
    public void ConcurrentIncDecAndMove_GiveExactTotals()
    {
        const int threads = 8;
        const int iterations = 20_000;
        var accounting = new MemoryAccounting();
        using var start = new Barrier(threads);

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                MemoryKind mine = s_allKinds[id % s_allKinds.Length];
                start.SignalAndWait();
                for (int i = 0; i < iterations; i++)
                {
                    // Net per iteration: +3 pages of `mine`, and one page moved from System to Anonymous
                    // after being added to System.
                    accounting.Inc(4096 * 4, mine);
                    accounting.Dec(4096, mine);
                    accounting.Inc(4096, MemoryKind.System);
                    accounting.Move(4096, MemoryKind.Anonymous, MemoryKind.System);
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        var expected = new ulong[s_allKinds.Length];
        for (int t = 0; t < threads; t++)
        {
            expected[t % s_allKinds.Length] += 3UL * 4096 * iterations;
        }
        expected[(int)MemoryKind.Anonymous] += (ulong)threads * 4096 * iterations;

        MemoryStats stats = accounting.Snapshot();
        foreach (MemoryKind kind in s_allKinds)
        {
            Assert.Equal(expected[(int)kind], stats[kind]);
        }
        ulong total = 0;
        foreach (MemoryKind kind in s_allKinds)
        {
            total += kind == MemoryKind.Mapped ? 0 : expected[(int)kind];
        }
        Assert.Equal(total, accounting.Total());
    }

    [Fact]
    public void ConcurrentDecs_NeverUnderflow_AndExactlyTheAvailableSucceed()
    {
        const int threads = 6;
        const int attemptsPerThread = 5_000;
        const int available = 20_000;
        var accounting = new MemoryAccounting();
        accounting.Inc(available, MemoryKind.PageCache);
        int succeeded = 0;
        int failed = 0;
        using var start = new Barrier(threads);

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < attemptsPerThread; i++)
                {
                    try
                    {
                        accounting.Dec(1, MemoryKind.PageCache);
                        Interlocked.Increment(ref succeeded);
                    }
                    catch (InvalidOperationException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        Assert.Equal(available, succeeded);
        Assert.Equal((threads * attemptsPerThread) - available, failed);
        Assert.Equal(0UL, accounting.Get(MemoryKind.PageCache));
    }
}
