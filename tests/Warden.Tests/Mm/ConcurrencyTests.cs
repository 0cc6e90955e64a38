using Xunit;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

public class ConcurrencyTests
{
    private const ulong Page = MmFixture.Page;

    /// <summary>
    /// Copiers run while another thread maps (with a per-round fill byte), protects and unmaps the
    /// same ranges. A copy may fail or succeed, but what it reads must be a byte some mapping held
    /// there (a fill byte, or zero), never anything else; nothing crashes; and at the end the memory
    /// file's usage is zero again.
    /// </summary>
    [Fact]
    public void CopiesRaceWithMappingChangesSafely()
    {
        using var f = new MmFixture();
        const ulong Base = 0x5000_0000;
        const int Pages = 64;
        const int Rounds = 400;
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        void Copier(int seed)
        {
            var random = new Random(seed);
            var buffer = new byte[3 * Page];
            while (!stop.IsCancellationRequested)
            {
                ulong addr = Base + (ulong)random.Next(0, (int)(Pages * Page) - buffer.Length);
                int length = random.Next(1, buffer.Length);
                if (random.Next(2) == 0)
                {
                    (int n, Error? error) = f.Mm.CopyIn(f.Ctx, (Addr)addr, buffer.AsSpan(0, length), default);
                    if (n > length || (error is not null && error != Errno.EFAULT))
                    {
                        failures.Enqueue($"CopyIn returned ({n}, {error})");
                    }
                    for (int i = 0; i < n; i++)
                    {
                        // Fill bytes are 1..250; zero is fresh memory.
                        if (buffer[i] > 250)
                        {
                            failures.Enqueue($"read byte {buffer[i]} that no mapping held");
                            break;
                        }
                    }
                }
                else
                {
                    byte value = (byte)random.Next(1, 251);
                    buffer.AsSpan(0, length).Fill(value);
                    (int n, Error? error) = f.Mm.CopyOut(f.Ctx, (Addr)addr, buffer.AsSpan(0, length), default);
                    if (n > length || (error is not null && error != Errno.EFAULT))
                    {
                        failures.Enqueue($"CopyOut returned ({n}, {error})");
                    }
                }
            }
        }

        Thread[] copiers = Enumerable.Range(0, 3).Select(i => new Thread(() => Copier(i))).ToArray();
        foreach (Thread t in copiers)
        {
            t.Start();
        }
        var random = new Random(42);
        for (int round = 0; round < Rounds; round++)
        {
            ulong at = Base + (ulong)random.Next(0, Pages - 8) * Page;
            ulong length = (ulong)random.Next(1, 8) * Page;
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    int flags = (random.Next(3) == 0 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED;
                    (_, Error? mapError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, at, length, PROT_READ | PROT_WRITE, (ulong)flags);
                    Assert.Null(mapError);
                    break;
                case 2:
                    Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, at, length));
                    break;
                case 3:
                    _ = MemorySyscalls.Mprotect(f.Ctx, f.Mm, at, length, (ulong)(random.Next(2) == 0 ? PROT_READ : PROT_READ | PROT_WRITE));
                    break;
                default:
                    _ = MemorySyscalls.Madvise(f.Ctx, f.Mm, at, length, MADV_DONTNEED);
                    break;
            }
        }
        stop.Cancel();
        foreach (Thread t in copiers)
        {
            t.Join();
        }
        Assert.Empty(failures);
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, Base, Pages * Page));
        Assert.Equal(0UL, f.Usage());
    }

    [Fact]
    public void ForkedChildrenReleaseEverythingWhenGone()
    {
        using var f = new MmFixture();
        ulong a = f.Map(256 * Page);
        f.Write(a, new byte[256 * Page]);
        var children = new List<MemoryManager>();
        for (int i = 0; i < 4; i++)
        {
            (MemoryManager? child, Error? error) = f.Mm.Fork(f.Ctx);
            Assert.Null(error);
            children.Add(child!);
            child!.CopyOut(f.Ctx, (Addr)(a + (ulong)i * Page), new byte[] { (byte)i }, default);
        }
        foreach (MemoryManager child in children)
        {
            child.Dispose();
        }
        Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, a, 256 * Page));
        Assert.Equal(0UL, f.Usage());
    }

    /// <summary>
    /// A fault does not need the mapping lock's single upgradeable slot: while another thread holds
    /// it (as a fault used to), faults and copies on other pages still complete.
    /// </summary>
    [Fact]
    public void FaultsProceed_WhileAnotherThreadHoldsTheMappingLockUpgradeable()
    {
        using var f = new MmFixture();
        ulong a = f.Map(64 * Page);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            f.Mm.MappingLockForTesting.EnterUpgradeableReadLock();
            held.Set();
            release.Wait();
            f.Mm.MappingLockForTesting.ExitUpgradeableReadLock();
        });
        holder.Start();
        held.Wait();
        try
        {
            (Error? Fault, int N, Error? Copy) result = default;
            var work = new Thread(() =>
            {
                Error? fault = f.Mm.HandleUserFault(f.Ctx, (Addr)(a + 17 * Page), AccessType.WriteOnly, default);
                (int n, Error? copy) = f.Mm.CopyOut(f.Ctx, (Addr)(a + 40 * Page), new byte[] { 9 }, default);
                result = (fault, n, copy);
            });
            work.Start();
            // A hang detector, not a timing limit: the work takes microseconds when it does not block.
            Assert.True(work.Join(TimeSpan.FromSeconds(60)), "a fault waited for the upgradeable holder");
            Assert.Equal(((Error?)null, 1, (Error?)null), result);
        }
        finally
        {
            release.Set();
            holder.Join();
        }
    }

    /// <summary>
    /// Two threads fault pages of one address space at once, one of them growing a stack (which
    /// takes the mapping lock for writing between its faults): every fault succeeds and every page
    /// keeps what its thread wrote.
    /// </summary>
    [Fact]
    public void TwoThreadsFaultingAtOnce_BothProgress()
    {
        using var f = new MmFixture();
        const int Pages = 512;
        ulong heap = f.Map(Pages * Page);
        ulong stackTop = 0x3000_0000;
        ulong stack = f.Map(Page, flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, addr: stackTop - Page);
        using var barrier = new Barrier(2);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();

        void Faulter(Func<int, ulong> pageAt, byte tag)
        {
            barrier.SignalAndWait();
            for (int i = 0; i < Pages; i++)
            {
                ulong page = pageAt(i);
                Error? error = f.Mm.HandleUserFault(f.Ctx, (Addr)page, AccessType.WriteOnly, default);
                (int n, Error? copy) = f.Mm.CopyOut(f.Ctx, (Addr)page, new byte[] { tag, (byte)i }, default);
                if (error is not null || n != 2 || copy is not null)
                {
                    errors.Enqueue($"page 0x{page:x}: fault {error}, copy ({n}, {copy})");
                }
            }
        }

        var heapThread = new Thread(() => Faulter(i => heap + (ulong)i * Page, 1));
        var stackThread = new Thread(() => Faulter(i => stack - (ulong)i * Page, 2));
        heapThread.Start();
        stackThread.Start();
        heapThread.Join();
        stackThread.Join();

        Assert.Empty(errors);
        for (int i = 0; i < Pages; i++)
        {
            Assert.Equal(new byte[] { 1, (byte)i }, f.Read(heap + (ulong)i * Page, 2));
            Assert.Equal(new byte[] { 2, (byte)i }, f.Read(stack - (ulong)i * Page, 2));
        }
    }
}
