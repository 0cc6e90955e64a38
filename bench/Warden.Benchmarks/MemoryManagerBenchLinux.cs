using System.Globalization;
using System.Runtime.InteropServices;

namespace Warden.Benchmarks;

/// <summary>
/// The real Linux calls the MemoryManager benchmarks compare with, on this (benchmark) process. The
/// imports set no errno-saving stub (no <c>SetLastError</c>), so a call costs the syscall plus the
/// P/Invoke transition only; the benchmarks check return values and throw on failure.
/// </summary>
internal static unsafe partial class MemoryManagerBenchLinux
{
    public const int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    public const int MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    public const int MADV_DONTNEED = 4, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15;
    public const int MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;

    /// <summary>vm.max_map_count is 65530 here and must not be raised: the 100,000-vma case uses this many on Linux.</summary>
    public const int MaxLinuxFillerVmas = 60_000;

    private const string LibC = "libc";

    [LibraryImport(LibC, EntryPoint = "mmap")]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(LibC, EntryPoint = "munmap")]
    public static partial int Munmap(nint addr, nuint length);

    [LibraryImport(LibC, EntryPoint = "mprotect")]
    public static partial int Mprotect(nint addr, nuint length, int prot);

    [LibraryImport(LibC, EntryPoint = "madvise")]
    public static partial int Madvise(nint addr, nuint length, int advice);

    [LibraryImport(LibC, EntryPoint = "mlock")]
    public static partial int Mlock(nint addr, nuint length);

    [LibraryImport(LibC, EntryPoint = "munlock")]
    public static partial int Munlock(nint addr, nuint length);

    // mremap(2) is variadic in C (the new address comes last, with MREMAP_FIXED); on x86-64 passing
    // it as a fifth ordinary argument is the same call.
    [LibraryImport(LibC, EntryPoint = "mremap")]
    public static partial nint Mremap(nint oldAddress, nuint oldSize, nuint newSize, int flags, nint newAddress);

    /// <summary>A private anonymous read-write mapping of <paramref name="length"/> bytes aligned to <paramref name="alignment"/> (the rest is unmapped).</summary>
    public static nint MapAligned(nuint length, nuint alignment, int prot = PROT_READ | PROT_WRITE, int extraFlags = 0)
    {
        nint p = Mmap(0, length + alignment, prot, MAP_PRIVATE | MAP_ANONYMOUS | extraFlags, -1, 0);
        Check(p != -1, "mmap");
        nint aligned = (nint)(((nuint)p + alignment - 1) & ~(alignment - 1));
        if (aligned > p)
        {
            Check(Munmap(p, (nuint)(aligned - p)) == 0, "munmap head");
        }
        nuint tail = (nuint)(p + (nint)(length + alignment) - (aligned + (nint)length));
        if (tail > 0)
        {
            Check(Munmap(aligned + (nint)length, tail) == 0, "munmap tail");
        }
        return aligned;
    }

    /// <summary>
    /// Adds <paramref name="count"/> one-page vmas: a PROT_NONE reservation of that many pages with every other
    /// page made readable, so neighbours differ and cannot merge. Returns the window to unmap afterwards.
    /// </summary>
    public static (nint Address, nuint Length) AddFillerVmas(int count)
    {
        nuint length = (nuint)count * 4096;
        nint window = Mmap(0, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        Check(window != -1, "mmap filler window");
        for (int i = 1; i < count; i += 2)
        {
            Check(Mprotect(window + i * 4096, 4096, PROT_READ) == 0, "mprotect filler page");
        }
        return (window, length);
    }

    /// <summary>Writes one byte in every page of [p, p + length).</summary>
    public static void Touch(nint p, nuint length)
    {
        for (nuint off = 0; off < length; off += 4096)
        {
            ((byte*)p)[off] = 1;
        }
    }

    /// <summary>The number of vmas of this process (lines of /proc/self/maps).</summary>
    public static int MapCount() => File.ReadLines("/proc/self/maps").Count();

    /// <summary>The AnonHugePages (kB) of the vma containing <paramref name="addr"/>, from /proc/self/smaps; -1 if not found.</summary>
    public static long AnonHugePagesKiB(nint addr)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start) &&
                ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
            {
                inside = start <= (ulong)addr && (ulong)addr < end;
            }
            else if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(14).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    public static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"{what} failed: errno {Marshal.GetLastSystemError()}");
        }
    }
}
