using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Kernel;

/// <summary>
/// System calls with bad arguments (bad and read-only pointers, huge and wrapping lengths, bad
/// descriptors, paths that are too long or run into an unmapped page, bad flags) give the errnos
/// the real kernel gives. A generated program makes every call in turn, keeps each raw result
/// (rax) and writes them all to stdout; the test runs it natively and under Warden and compares
/// the two arrays entry by entry.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private const ulong Data = GeneratedProgram.DataAddress;
    private const ulong Results = Data;              // 8 bytes a call
    private const ulong Scratch = Data + 0x2000;     // 0x2000 bytes the calls may write
    private const ulong Strings = Data + 0x4000;
    private const ulong LongPath = Data + 0x6000;    // "/aaaa...": 5000 bytes, longer than PATH_MAX
    private const ulong Unterminated = Data + GeneratedProgram.DataSize - 0x100; // 'a' to the end of the segment
    private const ulong Unmapped = 0xdead_0000;
    private const ulong Low = 0x10;
    private const ulong Kernel = 0xffff_8000_0000_0000;
    private const ulong Code = GeneratedProgram.CodeAddress; // mapped, but read-only
    private const ulong AtFdcwd = unchecked((ulong)-100);
    private const ulong Huge = 1UL << 62;

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-badinput-").FullName;
    private readonly byte[] _data = new byte[GeneratedProgram.DataSize];
    private readonly Dictionary<string, ulong> _strings = [];
    private ulong _nextString = Strings;

    public BadInputTests()
    {
        KernelRunner.RequirePtrace();
        _data.AsSpan((int)(LongPath - Data), 5000).Fill((byte)'a');
        _data[(int)(LongPath - Data)] = (byte)'/';
        _data.AsSpan((int)(Unterminated - Data)).Fill((byte)'a');
        // A struct rlimit with cur > max, and an all-zero struct sigaction (SIG_DFL).
        BinaryPrimitives.WriteUInt64LittleEndian(_data.AsSpan((int)(RlimitBad - Data)), 10);
        BinaryPrimitives.WriteUInt64LittleEndian(_data.AsSpan((int)(RlimitBad - Data) + 8), 5);
    }

    private const ulong RlimitBad = Data + 0x5000;
    private const ulong ZeroSigaction = Data + 0x5100;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The address of <paramref name="s"/>, NUL-terminated, in the data segment.</summary>
    private ulong Str(string s)
    {
        if (!_strings.TryGetValue(s, out ulong addr))
        {
            addr = _nextString;
            byte[] bytes = Encoding.UTF8.GetBytes(s + "\0");
            bytes.CopyTo(_data, (int)(addr - Data));
            _nextString += (ulong)bytes.Length;
            _strings[s] = addr;
        }
        return addr;
    }

    private sealed record Call(string Name, ulong Number, ulong[] Args);

    private List<Call> Calls()
    {
        ulong passwd = Str("/etc/passwd"), root = Str("/"), missing = Str("/no/such/file"), empty = Str(""), relative = Str("relative");
        ulong exe = Str("/proc/self/exe");
        var c = new List<Call>();
        void Add(string name, ulong nr, params ulong[] args) => c.Add(new Call(name, nr, args));

        // Must be first: fd 3, a regular file opened read-only, used below.
        Add("openat /etc/passwd", 257, AtFdcwd, passwd, 0);

        Add("read to a low address", 0, 3, Low, 10);
        Add("read to an unmapped address", 0, 3, Unmapped, 10);
        Add("read to read-only code", 0, 3, Code, 10);
        Add("read to a kernel address", 0, 3, Kernel, 10);
        Add("read with a huge length", 0, 3, Scratch, Huge);
        Add("read wrapping around", 0, 3, ulong.MaxValue - 0xfff, 0x2000);
        Add("read fd -1", 0, ulong.MaxValue, Scratch, 1);
        Add("read fd 1000", 0, 1000, Scratch, 1);
        Add("read length 0", 0, 3, Low, 0);
        Add("write from a low address", 1, 1, Low, 5);
        Add("write from a kernel address", 1, 1, Kernel, 1);
        Add("write wrapping around", 1, 1, ulong.MaxValue - 0xfff, 0x2000);
        Add("write fd -5", 1, unchecked((ulong)-5), Scratch, 1);
        Add("write to a read-only fd", 1, 3, Scratch, 1);
        Add("pread64 negative offset", 17, 3, Scratch, 10, ulong.MaxValue);

        Add("openat bad pointer", 257, AtFdcwd, Low, 0);
        Add("openat unterminated path into unmapped", 257, AtFdcwd, Unterminated, 0);
        Add("openat path > PATH_MAX", 257, AtFdcwd, LongPath, 0);
        Add("openat empty path", 257, AtFdcwd, empty, 0);
        Add("openat missing", 257, AtFdcwd, missing, 0);
        Add("openat bad dirfd", 257, unchecked((ulong)-5), relative, 0);
        Add("openat dirfd not a directory", 257, 3, relative, 0);
        Add("openat O_DIRECTORY on a file", 257, AtFdcwd, passwd, 0x10000);
        Add("openat / O_WRONLY", 257, AtFdcwd, root, 1);
        Add("openat O_TMPFILE read-only", 257, AtFdcwd, root, 0x410000);

        Add("stat bad buffer", 4, root, Low);
        Add("stat bad path", 4, Low, Scratch);
        Add("stat path > PATH_MAX", 4, LongPath, Scratch);
        Add("stat unterminated path", 4, Unterminated, Scratch);
        Add("stat missing", 4, missing, Scratch);
        Add("fstat fd -1", 5, ulong.MaxValue, Scratch);
        Add("fstat bad buffer", 5, 3, Low);
        Add("newfstatat bad flags", 262, AtFdcwd, root, Scratch, 0xffff);
        Add("newfstatat empty path", 262, AtFdcwd, empty, Scratch, 0);
        Add("newfstatat bad dirfd", 262, unchecked((ulong)-5), relative, Scratch, 0);
        Add("newfstatat to read-only code", 262, AtFdcwd, root, Code, 0);
        Add("newfstatat AT_EMPTY_PATH", 262, 3, empty, Scratch, 0x1000);

        Add("uname bad pointer", 63, Low);
        Add("uname to read-only code", 63, Code);
        Add("getcwd size 0", 79, Scratch, 0);
        Add("getcwd size 1", 79, Scratch, 1);
        Add("getcwd bad pointer", 79, Low, 100);
        Add("getcwd", 79, Scratch, 4096);
        Add("readlink size 0", 89, exe, Scratch, 0);
        Add("readlink bad path", 89, Low, Scratch, 10);
        Add("readlink of a file", 89, passwd, Scratch, 10);
        Add("readlink bad buffer", 89, exe, Low, 10);
        Add("readlink missing", 89, missing, Scratch, 10);

        Add("clock_gettime bad pointer", 228, 1, Low);
        Add("clock_gettime bad clock", 228, 12345, Scratch);
        Add("clock_getres bad clock", 229, 99, Scratch);
        Add("gettimeofday bad pointer", 96, Low, 0);

        Add("rt_sigaction SIGKILL", 13, 9, ZeroSigaction, 0, 8);
        Add("rt_sigaction bad act", 13, 10, Low, 0, 8);
        Add("rt_sigaction bad oldact", 13, 10, 0, Low, 8);
        Add("rt_sigaction sigsetsize 4", 13, 10, 0, 0, 4);
        Add("rt_sigaction signal 0", 13, 0, 0, 0, 8);
        Add("rt_sigaction signal 65", 13, 65, 0, 0, 8);
        Add("rt_sigprocmask bad how", 14, 5, Scratch, 0, 8);
        Add("rt_sigprocmask bad set", 14, 0, Low, 0, 8);
        Add("rt_sigprocmask sigsetsize 4", 14, 0, 0, 0, 4);

        Add("dup3 same fd", 292, 1, 1, 0);
        Add("dup3 bad flags", 292, 1, 10, 0xffff);
        Add("dup3 bad oldfd", 292, ulong.MaxValue, 10, 0);
        Add("dup3 newfd -1", 292, 1, ulong.MaxValue, 0);
        Add("dup bad fd", 32, 999, 0);
        Add("close -1", 3, ulong.MaxValue);
        Add("close 1000", 3, 1000);
        Add("lseek bad whence", 8, 3, 0, 99);
        Add("lseek negative", 8, 3, ulong.MaxValue, 0);

        Add("mmap length 0", 9, 0, 0, 1, 0x22, ulong.MaxValue, 0);
        Add("mmap neither shared nor private", 9, 0, 4096, 1, 0x20, ulong.MaxValue, 0);
        Add("mmap fixed unaligned", 9, 0x10001001, 4096, 1, 0x32, ulong.MaxValue, 0);
        Add("mmap file without fd", 9, 0, 4096, 1, 0x2, ulong.MaxValue, 0);
        Add("mmap huge", 9, 0, Huge, 1, 0x22, ulong.MaxValue, 0);
        Add("mmap wrapping length", 9, 0, unchecked((ulong)-4096), 1, 0x22, ulong.MaxValue, 0);
        Add("mmap unaligned offset", 9, 0, 4096, 1, 0x2, 3, 1);
        Add("mmap of a pipe (stdin)", 9, 0, 4096, 1, 0x2, 0, 0);
        Add("mprotect unaligned", 10, Code + 1, 4096, 1);
        Add("mprotect unmapped", 10, 0x7000_0000_0000, 4096, 1);
        Add("mprotect bad prot", 10, Scratch, 4096, 0xff);
        Add("mprotect wrapping", 10, Scratch, unchecked((ulong)-4096), 1);
        Add("munmap unaligned", 11, Code + 1, 10);
        Add("munmap length 0", 11, Scratch, 0);
        Add("madvise bad advice", 28, Scratch, 4096, 12345);
        Add("madvise unaligned", 28, Code + 1, 4096, 0);
        Add("madvise unmapped", 28, 0x7000_0000_0000, 4096, 4);
        Add("madvise wrapping", 28, Scratch, unchecked((ulong)-4096), 0);

        Add("prlimit64 bad resource", 302, 0, 1000, 0, Scratch);
        Add("prlimit64 bad new", 302, 0, 7, Low, 0);
        Add("prlimit64 bad old", 302, 0, 7, 0, Low);
        Add("prlimit64 no such pid", 302, 999999, 7, 0, Scratch);
        Add("prlimit64 cur > max", 302, 0, 7, RlimitBad, 0);
        Add("getrandom bad flags", 318, Scratch, 16, 0xff);
        Add("getrandom bad buffer", 318, Low, 16, 0);
        Add("getrandom length 0", 318, Scratch, 0, 0);
        return c;
    }

    private static readonly AssemblerRegister64[] ArgRegisters = [rdi, rsi, rdx, r10, r8, r9];

    private string Build(List<Call> calls)
    {
        var a = new Assembler(64);
        for (int i = 0; i < calls.Count; i++)
        {
            a.mov(rax, calls[i].Number);
            for (int r = 0; r < ArgRegisters.Length; r++)
            {
                a.mov(ArgRegisters[r], r < calls[i].Args.Length ? calls[i].Args[r] : 0UL);
            }
            a.syscall();
            a.mov(rbx, Results + (ulong)(8 * i));
            a.mov(__qword_ptr[rbx], rax);
        }
        a.mov(eax, 1);
        a.mov(edi, 1);
        a.mov(rsi, Results);
        a.mov(edx, 8 * calls.Count);
        a.syscall();
        a.mov(eax, 231);
        a.xor(edi, edi);
        a.syscall();
        return GeneratedProgram.Write(Path.Combine(_dir, "badinput"), a, _data);
    }

    [SkippableFact]
    public void BadArgumentsGiveLinuxsErrnos()
    {
        List<Call> calls = Calls();
        Assert.True(calls.Count >= 40);
        Assert.True(calls.Count * 8 <= (int)(Scratch - Results));
        string exe = Build(calls);
        var spec = new RunSpec(exe, [exe]) { WorkingDirectory = _dir };

        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        Assert.True(native.ShellStatus == 0 && native.Stdout.Length == calls.Count * 8, $"the native run: status {native.ShellStatus}, {native.Stdout.Length} bytes");
        Assert.True(warden.ShellStatus == 0 && warden.Stdout.Length == calls.Count * 8,
            $"the run under Warden: status {warden.ShellStatus}, {warden.Stdout.Length} bytes; {warden.StderrText}");
        var mismatches = new List<string>();
        for (int i = 0; i < calls.Count; i++)
        {
            long n = BinaryPrimitives.ReadInt64LittleEndian(native.Stdout.AsSpan(8 * i));
            long w = BinaryPrimitives.ReadInt64LittleEndian(warden.Stdout.AsSpan(8 * i));
            if (n != w)
            {
                mismatches.Add($"{calls[i].Name} ({calls[i].Number}): Linux {Describe(n)}, Warden {Describe(w)}");
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {calls.Count} calls differ:\n{string.Join('\n', mismatches)}");
    }

    private static string Describe(long result) => result is < 0 and >= -4095 ? $"-{ErrnoName((int)-result)} ({result})" : $"{result} (0x{result:x})";

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 3 => "ESRCH", 9 => "EBADF", 12 => "ENOMEM", 13 => "EACCES", 14 => "EFAULT", 17 => "EEXIST",
        19 => "ENODEV", 20 => "ENOTDIR", 21 => "EISDIR", 22 => "EINVAL", 25 => "ENOTTY", 29 => "ESPIPE", 34 => "ERANGE",
        36 => "ENAMETOOLONG", 38 => "ENOSYS", 40 => "ELOOP", 75 => "EOVERFLOW", 95 => "EOPNOTSUPP",
        _ => $"errno {errno}",
    };
}
