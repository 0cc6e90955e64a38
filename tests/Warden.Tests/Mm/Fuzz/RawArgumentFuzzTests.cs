using Warden.HostArch;
using Warden.Mm;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// Raw system-call arguments, as a hostile or buggy program passes them, thrown at every
/// <see cref="MemorySyscalls"/> entry point: whatever they are, Warden answers with a result or an
/// errno and never throws (issue 12, the first half of its fuzzer; the comparison with the real
/// kernel is still to come). Seeded, so a failure names the call that broke it.
/// </summary>
public sealed class RawArgumentFuzzTests
{
    private const ulong Page = MmFixture.Page;
    // CI's budget is 5 seeds of 4,000 calls; WARDEN_FUZZ_CALLS raises the calls per seed for long runs.
    private static readonly int s_callsPerSeed =
        int.TryParse(Environment.GetEnvironmentVariable("WARDEN_FUZZ_CALLS"), out int calls) && calls > 0 ? calls : 4000;

    // Addresses and lengths where bugs live: zero, page edges, mmap_min_addr, the 32-bit window,
    // TASK_SIZE and 2^47, the top of the 64-bit space, and wrapping values.
    private static readonly ulong[] s_interesting =
    [
        0, 1, Page - 1, Page, Page + 1, 0x10000, 0x40000000, 0x80000000, 0xffff_ffff, 1UL << 32,
        Arch.TaskSize - Page, Arch.TaskSize, Arch.TaskSize + Page, 1UL << 47, (1UL << 47) + Page,
        1UL << 63, ulong.MaxValue - Page + 1, ulong.MaxValue - 1, ulong.MaxValue, 2UL << 40,
    ];

    private static ulong Value(Random random, List<ulong> mapped) => random.Next(4) switch
    {
        0 => s_interesting[random.Next(s_interesting.Length)],
        1 when mapped.Count > 0 => mapped[random.Next(mapped.Count)] + (ulong)random.Next(-2, 3) * Page + (ulong)random.Next(2),
        2 => (ulong)random.NextInt64() << random.Next(2),
        _ => (ulong)random.Next(0, 64) * Page + (ulong)(random.Next(8) == 0 ? random.Next(1, 4096) : 0),
    };

    private static int Bits(Random random) => random.Next(3) switch
    {
        0 => random.Next(),
        1 => 1 << random.Next(31),
        _ => random.Next(0, 64),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void NoRawArgumentMakesWardenThrow(int seed)
    {
        using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = seed % 2 == 0 });
        var random = new Random(seed);
        var mapped = new List<ulong>();
        byte[] vector = new byte[256]; // mincore's buffer is the caller's: sized for the lengths below
        for (int i = 0; i < s_callsPerSeed; i++)
        {
            int call = random.Next(13);
            ulong a = Value(random, mapped), b = Value(random, mapped), c = Value(random, mapped);
            int x = Bits(random), y = Bits(random);
            string what = $"seed {seed} call {i}: #{call}(0x{a:x}, 0x{b:x}, 0x{c:x}, 0x{x:x}, 0x{y:x})";
            try
            {
                switch (call)
                {
                    case 0:
                    case 1:
                        // mmap, half the time with sane flags so that the address space fills up.
                        int flags = call == 0 ? x : (MAP_PRIVATE | MAP_ANONYMOUS) | (x & (MAP_FIXED | MAP_POPULATE | MAP_NORESERVE | MAP_GROWSDOWN | MAP_32BIT | MAP_LOCKED));
                        ulong length = call == 0 ? b : (b % (64 * Page)) + 1;
                        (ulong result, var error) = MemorySyscalls.Mmap(f.Ctx, f.Mm, a, length, (ulong)(y & 0xf), (ulong)flags);
                        if (error is null)
                        {
                            mapped.Add(result);
                        }
                        break;
                    case 2:
                        _ = MemorySyscalls.Munmap(f.Ctx, f.Mm, a, b);
                        break;
                    case 3:
                        _ = MemorySyscalls.Mprotect(f.Ctx, f.Mm, a, b, (ulong)x);
                        break;
                    case 4:
                        _ = MemorySyscalls.Mremap(f.Ctx, f.Mm, a, b, c, (ulong)(x & 0xff), Value(random, mapped));
                        break;
                    case 5:
                        _ = MemorySyscalls.Madvise(f.Ctx, f.Mm, a, b, random.Next(2) == 0 ? x : random.Next(0, 30));
                        break;
                    case 6:
                        _ = MemorySyscalls.Brk(f.Ctx, f.Mm, a);
                        break;
                    case 7:
                        _ = f.Mm.Mincore((Addr)a, b % (64 * Page * 2), vector);
                        break;
                    case 8:
                        _ = MemorySyscalls.Mlock(f.Ctx, f.Mm, a, b, x & 3);
                        break;
                    case 9:
                        _ = MemorySyscalls.Munlock(f.Ctx, f.Mm, a, b);
                        break;
                    case 10:
                        _ = MemorySyscalls.Mlockall(f.Ctx, f.Mm, x & 0xf);
                        break;
                    case 11:
                        _ = MemorySyscalls.Munlockall(f.Ctx, f.Mm);
                        break;
                    default:
                        _ = MemorySyscalls.Msync(f.Ctx, f.Mm, a, b, x & 0xf);
                        break;
                }
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"{what} threw {e.GetType().Name}: {e.Message}");
            }
        }
        f.Mm.CheckInvariants();
    }
}
