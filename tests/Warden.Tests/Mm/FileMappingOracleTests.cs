using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Mm;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// Linux as oracle for file mappings (issue 12): seeded sequences of shared and private mappings of
/// a file at page offsets, writes and reads through them (as a system call's copies), pread, pwrite,
/// msync, ftruncate (pages past the end then fault), mprotect and MADV_DONTNEED, applied to this
/// process's kernel (on one file, in a reserved window) and to Warden (on an identical file, through
/// <see cref="HostFileMappable"/>'s coherent Read, Write and Truncate). Every answer, every byte read
/// and the file's final contents must be the same.
/// </summary>
public sealed unsafe class FileMappingOracleTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private const ulong Window = 0x1800_0000_0000;
    private const int Slots = 4;
    private const ulong SlotPages = 8;
    private const ulong WindowSize = Slots * SlotPages * Page;
    private const int EFAULT = 14;

    // CI: 40 seeds of 150 ops; WARDEN_FILE_ORACLE_SEEDS and WARDEN_FILE_ORACLE_OPS raise them.
    private static readonly int s_ops = Setting("WARDEN_FILE_ORACLE_OPS", 150);

    private readonly string _kernelPath = Path.Combine(Path.GetTempPath(), $"warden-fileoracle-k-{Guid.NewGuid():N}");
    private readonly string _wardenPath = Path.Combine(Path.GetTempPath(), $"warden-fileoracle-w-{Guid.NewGuid():N}");

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 0; seed < Setting("WARDEN_FILE_ORACLE_SEEDS", 40); seed++)
        {
            data.Add(seed);
        }
        return data;
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) && value > 0 ? value : fallback;

    public void Dispose()
    {
        File.Delete(_kernelPath);
        File.Delete(_wardenPath);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void WardenMatchesTheKernel(int seed)
    {
        string? report = Run(seed, s_ops);
        Assert.True(report is null, report);
    }

    private string? Run(int seed, int opCount)
    {
        var random = new Random(seed);
        byte[] initial = new byte[random.Next(0, (int)(6 * Page))];
        random.NextBytes(initial);
        File.WriteAllBytes(_kernelPath, initial);
        File.WriteAllBytes(_wardenPath, initial);

        using SafeFileHandle kernelFile = File.OpenHandle(_kernelPath, FileMode.Open, FileAccess.ReadWrite);
        using var f = new MmFixture();
        (HostFileMappable? mappable, Error? createError) = HostFileMappable.Create(
            File.OpenHandle(_wardenPath, FileMode.Open, FileAccess.ReadWrite), _wardenPath, f.File, readable: true, writable: true);
        Assert.Null(createError);
        HostFileMappable wardenFile = mappable!;
        int noReserve = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
        (nint reserved, Errno? reserveError) = Libc.MmapAnonymous((void*)Window, (nuint)WindowSize, PROT_NONE, noReserve | MAP_FIXED_NOREPLACE, 0);
        Assert.True(reserveError is null && (ulong)reserved == Window, $"could not reserve the window: {reserveError}");
        try
        {
            f.Map(WindowSize, PROT_NONE, noReserve | MAP_FIXED, Window);
            var log = new List<string>();
            for (int i = 0; i < opCount; i++)
            {
                (string what, string kernel, string warden) = Step(random, kernelFile, f, wardenFile);
                log.Add(what);
                // After every op the file as read(2) sees it must be the same.
                kernel += " | file " + FileText(kernelFile, null, out byte[] kernelNow);
                warden += " | file " + FileText(null, wardenFile, out byte[] wardenNow);
                int differ = kernelNow.AsSpan().CommonPrefixLength(wardenNow);
                if (differ < Math.Max(kernelNow.Length, wardenNow.Length))
                {
                    warden += $" (first difference at file offset 0x{differ:x}: kernel {(differ < kernelNow.Length ? kernelNow[differ] : -1)}, warden {(differ < wardenNow.Length ? wardenNow[differ] : -1)})\n" + f.Mm.MapsText(f.Ctx);
                }
                if (kernel != warden)
                {
                    return $"File oracle mismatch: seed {seed}, op {i}: {what}\n  kernel: {kernel}\n  warden: {warden}\nlast ops:\n  " +
                        string.Join("\n  ", log.TakeLast(12));
                }
            }
            f.Mm.CheckInvariants();
            // Unmapping writes back what the mappings wrote; then both files must be the same.
            Libc.Munmap((void*)Window, (nuint)WindowSize);
            reserved = 0;
            Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, Window, WindowSize));
            wardenFile.DecRef(f.Ctx);
            byte[] kernelBytes = File.ReadAllBytes(_kernelPath), wardenBytes = File.ReadAllBytes(_wardenPath);
            return kernelBytes.AsSpan().SequenceEqual(wardenBytes)
                ? null
                : $"File oracle mismatch: seed {seed}: the files differ at the end (kernel {kernelBytes.Length} bytes, warden {wardenBytes.Length})";
        }
        finally
        {
            if (reserved != 0)
            {
                Libc.Munmap((void*)Window, (nuint)WindowSize);
                wardenFile.DecRef(f.Ctx);
            }
        }
    }

    private static (string What, string Kernel, string Warden) Step(Random random, SafeFileHandle kernelFile, MmFixture f, HostFileMappable wardenFile)
    {
        ulong slot = Window + ((ulong)random.Next(Slots) * SlotPages * Page);
        switch (random.Next(12))
        {
            case 0:
            case 1:
            {
                ulong pages = (ulong)random.Next(1, (int)SlotPages + 1);
                ulong offset = (ulong)random.Next(0, 8) * Page;
                int type = random.Next(2) == 0 ? MAP_SHARED : MAP_PRIVATE;
                int prot = random.Next(10) switch { < 6 => PROT_READ | PROT_WRITE, < 9 => PROT_READ, _ => PROT_NONE };
                string what = $"mmap(0x{slot:x}, {pages} pages, {Prot(prot)}, {(type == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE")}|MAP_FIXED, file, 0x{offset:x})";
                (_, Errno? kernel) = Libc.Mmap((void*)slot, (nuint)(pages * Page), prot, type | MAP_FIXED, kernelFile, (long)offset);
                (_, Error? warden) = MemorySyscalls.Mmap(f.Ctx, f.Mm, slot, pages * Page, (ulong)prot, (ulong)(type | MAP_FIXED), wardenFile, offset);
                return (what, Errno(kernel), Errno(warden));
            }
            case 2:
            {
                string what = $"munmap+reserve(0x{slot:x})";
                int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED;
                (_, Errno? kernel) = Libc.MmapAnonymous((void*)slot, (nuint)(SlotPages * Page), PROT_NONE, flags, 0);
                (_, Error? warden) = MemorySyscalls.Mmap(f.Ctx, f.Mm, slot, SlotPages * Page, PROT_NONE, (ulong)flags);
                return (what, Errno(kernel), Errno(warden));
            }
            case 3:
            case 4:
            {
                ulong at = slot + (ulong)random.Next(0, (int)(SlotPages * Page));
                byte[] data = new byte[random.Next(1, 6000)];
                random.NextBytes(data);
                string what = $"write(0x{at:x}, {data.Length})";
                long kernel;
                fixed (byte* p = data)
                {
                    var local = new Iovec { Base = p, Length = (nuint)data.Length };
                    var remote = new Iovec { Base = (void*)at, Length = (nuint)data.Length };
                    (kernel, _) = Libc.ProcessVmWritev(Environment.ProcessId, &local, 1, &remote, 1);
                }
                (int warden, _) = f.Mm.CopyOut(f.Ctx, new Addr(at), data, default);
                return (what, Count(kernel), Count(warden));
            }
            case 5:
            case 6:
            {
                ulong at = slot + (ulong)random.Next(0, (int)(SlotPages * Page));
                int length = random.Next(1, 6000);
                string what = $"read(0x{at:x}, {length})";
                byte[] kernelBytes = new byte[length], wardenBytes = new byte[length];
                long kernel;
                fixed (byte* p = kernelBytes)
                {
                    var local = new Iovec { Base = p, Length = (nuint)length };
                    var remote = new Iovec { Base = (void*)at, Length = (nuint)length };
                    (kernel, _) = Libc.ProcessVmReadv(Environment.ProcessId, &local, 1, &remote, 1);
                }
                (int warden, _) = f.Mm.CopyIn(f.Ctx, new Addr(at), wardenBytes, default);
                int firstDiff = kernelBytes.AsSpan().CommonPrefixLength(wardenBytes);
                if (firstDiff < length)
                {
                    what += $" (first difference at 0x{at + (ulong)firstDiff:x}: kernel {kernelBytes[firstDiff]}, warden {wardenBytes[firstDiff]})";
                }
                return (what, Count(kernel) + Hash(kernelBytes.AsSpan(0, (int)Math.Max(kernel, 0))),
                    Count(warden) + Hash(wardenBytes.AsSpan(0, warden)));
            }
            case 7:
            {
                long offset = random.Next(0, (int)(9 * Page));
                byte[] data = new byte[random.Next(1, 6000)];
                random.NextBytes(data);
                string what = $"pwrite(0x{offset:x}, {data.Length})";
                (int kernel, Errno? kernelError) = Libc.Pwrite(kernelFile, data, offset);
                (int warden, Error? wardenError) = wardenFile.Write(data, offset);
                return (what, $"{kernel} {Errno(kernelError)}", $"{warden} {Errno(wardenError)}");
            }
            case 8:
            {
                long offset = random.Next(0, (int)(9 * Page));
                int length = random.Next(1, 6000);
                string what = $"pread(0x{offset:x}, {length})";
                byte[] kernelBytes = new byte[length], wardenBytes = new byte[length];
                (int kernel, Errno? kernelError) = Libc.Pread(kernelFile, kernelBytes, offset);
                (int warden, Error? wardenError) = wardenFile.Read(wardenBytes, offset);
                return (what, $"{kernel} {Errno(kernelError)} {Hash(kernelBytes.AsSpan(0, kernel))}",
                    $"{warden} {Errno(wardenError)} {Hash(wardenBytes.AsSpan(0, warden))}");
            }
            case 9:
            {
                int flags = random.Next(3) switch { 0 => MS_SYNC, 1 => MS_ASYNC, _ => MS_SYNC | MS_INVALIDATE };
                string what = $"msync(0x{slot:x}, slot, {flags})";
                Errno? kernel = Libc.Msync((void*)slot, (nuint)(SlotPages * Page), flags);
                Error? warden = MemorySyscalls.Msync(f.Ctx, f.Mm, slot, SlotPages * Page, flags);
                return (what, Errno(kernel), Errno(warden));
            }
            case 10:
            {
                long size = (random.Next(0, 9) * (long)Page) + (random.Next(2) == 0 ? 0 : random.Next(1, (int)Page));
                string what = $"ftruncate({size})";
                Errno? kernel = Libc.Ftruncate(kernelFile, size);
                Error? warden = wardenFile.Truncate(size);
                return (what, Errno(kernel), Errno(warden));
            }
            default:
            {
                ulong pages = (ulong)random.Next(1, (int)SlotPages + 1);
                if (random.Next(2) == 0)
                {
                    int prot = random.Next(2) == 0 ? PROT_READ : PROT_READ | PROT_WRITE;
                    string what = $"mprotect(0x{slot:x}, {pages} pages, {Prot(prot)})";
                    Errno? kernel = Libc.Mprotect((void*)slot, (nuint)(pages * Page), prot);
                    Error? warden = MemorySyscalls.Mprotect(f.Ctx, f.Mm, slot, pages * Page, (ulong)prot);
                    return (what, Errno(kernel), Errno(warden));
                }
                else
                {
                    string what = $"madvise(0x{slot:x}, {pages} pages, MADV_DONTNEED)";
                    Errno? kernel = Libc.Madvise((void*)slot, (nuint)(pages * Page), MADV_DONTNEED);
                    Error? warden = MemorySyscalls.Madvise(f.Ctx, f.Mm, slot, pages * Page, MADV_DONTNEED);
                    return (what, Errno(kernel), Errno(warden));
                }
            }
        }
    }

    // The whole file as pread(2) returns it (length and hash), from the kernel's file or Warden's.
    private static string FileText(SafeFileHandle? kernelFile, HostFileMappable? wardenFile, out byte[] contents)
    {
        byte[] buffer = new byte[16 * Page];
        (int n, Error? error) = kernelFile is not null ? Libc.Pread(kernelFile, buffer, 0) : wardenFile!.Read(buffer, 0);
        contents = buffer[..n];
        return $"{n} {Errno(error)}{Hash(contents)}";
    }

    // A copy's outcome as a system call reports it: the bytes done, or EFAULT when none.
    private static string Count(long count) => count > 0 ? count.ToString(CultureInfo.InvariantCulture) : $"errno {EFAULT}";

    private static string Errno(Error? error) => error switch
    {
        null => "0",
        Warden.Errors.Errno errno => errno.Number.ToString(CultureInfo.InvariantCulture),
        _ => error.GetType().Name,
    };

    private static string Prot(int prot) => prot switch
    {
        PROT_NONE => "PROT_NONE",
        PROT_READ => "PROT_READ",
        _ => "PROT_READ|PROT_WRITE",
    };

    private static string Hash(ReadOnlySpan<byte> bytes) =>
        " #" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes), 0, 6);
}
