using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platforms.SoftMmu;
using static Warden.HostArch.LinuxMman;

namespace Warden.Benchmarks;

/// <summary>
/// A <see cref="MemoryManager"/> on a <see cref="SoftMmuPlatform"/> over a fresh <see cref="MemoryFile"/>,
/// for the MemoryManager benchmarks: setup helpers that throw on any error (setup must not fail quietly).
/// </summary>
internal sealed class MemoryManagerBenchEnv : IDisposable
{
    /// <summary>Where <see cref="AddFillerVmas"/> puts its vmas: far below the top-down mmap base.</summary>
    public const ulong FillerBase = 0x1000_0000;

    private readonly MemoryFile _file;

    private MemoryManagerBenchEnv(MemoryFile file, MemoryManager mm)
    {
        _file = file;
        Mm = mm;
    }

    public IContext Ctx { get; } = Context.Background;

    public MemoryManager Mm { get; }

    /// <summary>Makes the environment; <paramref name="activate"/> gives it a SoftMmu address space, so faults map pages into it.</summary>
    public static MemoryManagerBenchEnv Create(bool activate)
    {
        (MemoryFile? file, Error? error) = MemoryFile.Create();
        Check(error, "MemoryFile.Create");
        var platform = new SoftMmuPlatform(file!, new SoftMmuOptions());
        var env = new MemoryManagerBenchEnv(file!, new MemoryManager(platform, new MemoryManagerOptions { MaxMapCount = 1_000_000, CanLockMemory = true }));
        if (activate)
        {
            (Task? retry, error) = env.Mm.Activate(env.Ctx);
            Check(error, "Activate");
            if (retry is not null)
            {
                throw new InvalidOperationException("Activate asked to retry; SoftMmu never should.");
            }
        }
        return env;
    }

    /// <summary>Private anonymous mapping (MAP_FIXED when <paramref name="addr"/> is not 0).</summary>
    public ulong MapAnonymous(ulong addr, ulong length, int prot)
    {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (addr != 0 ? MAP_FIXED : 0);
        (ulong result, Error? error) = MemorySyscalls.Mmap(Ctx, Mm, addr, length, (ulong)prot, (ulong)flags);
        Check(error, "mmap");
        return result;
    }

    /// <summary>
    /// Adds <paramref name="count"/> one-page vmas side by side from <see cref="FillerBase"/>, with alternating
    /// protections so that none merges with its neighbour.
    /// </summary>
    public void AddFillerVmas(int count)
    {
        int before = Mm.MapCount;
        for (int i = 0; i < count; i++)
        {
            _ = MapAnonymous(FillerBase + ((ulong)i << Arch.PageShift), Arch.PageSize, (i & 1) == 0 ? PROT_READ : PROT_READ | PROT_WRITE);
        }
        if (Mm.MapCount != before + count)
        {
            throw new InvalidOperationException($"Expected {before + count} vmas, have {Mm.MapCount}.");
        }
    }

    /// <summary>Writes every byte of [addr, addr + length) through CopyOut, so pmas and host pages exist.</summary>
    public void Populate(ulong addr, ulong length)
    {
        byte[] fill = new byte[Math.Min(length, 1UL << 20)];
        fill.AsSpan().Fill(0x5a);
        for (ulong off = 0; off < length; off += (ulong)fill.Length)
        {
            int n = (int)Math.Min((ulong)fill.Length, length - off);
            (int done, Error? error) = Mm.CopyOut(Ctx, (Addr)(addr + off), fill.AsSpan(0, n), default);
            Check(error, "CopyOut");
            if (done != n)
            {
                throw new InvalidOperationException($"CopyOut copied {done} of {n} bytes.");
            }
        }
    }

    /// <summary>Write-faults one page per map unit (2 MiB) of [addr, addr + length): maps it into the SoftMmu address space.</summary>
    public void FaultIn(ulong addr, ulong length)
    {
        for (ulong off = 0; off < length; off += Arch.HugePageSize)
        {
            Check(Mm.HandleUserFault(Ctx, (Addr)(addr + off), AccessType.WriteOnly, default), "HandleUserFault");
        }
    }

    public static void Check(Error? error, string what)
    {
        if (error is not null)
        {
            throw new InvalidOperationException($"{what}: {error}");
        }
    }

    public void Dispose()
    {
        Mm.Dispose();
        _file.Dispose();
    }
}
