using System.Diagnostics;
using Iced.Intel;
using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Kernel;

/// <summary>
/// The legacy vsyscall page (which old static programs call for time and gettimeofday) is
/// emulated, and <c>--strace</c> lines read as strace's own for the same program.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class VsyscallAndStraceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-vsyscall-").FullName;

    public VsyscallAndStraceTests() => KernelRunner.RequirePtrace();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void VsyscallTimeAndGettimeofdayReturnToTheCallerWithTheTime()
    {
        Prerequisite.Require(File.ReadAllText("/proc/self/maps").Contains("[vsyscall]", StringComparison.Ordinal),
            "a vsyscall page on the host (vsyscall=xonly or emulate)");
        // time(NULL) and gettimeofday(&tv, NULL) through the page; the program writes "ok" only if
        // both gave a plausible time (after 2020) and it got control back after each call.
        var a = new Assembler(64);
        Label bad = a.CreateLabel();
        a.xor(edi, edi);
        a.mov(rax, 0xffff_ffff_ff60_0400UL);
        a.call(rax);
        a.mov(rbx, 1_600_000_000L);
        a.cmp(rax, rbx);
        a.jl(bad);
        a.mov(rdi, GeneratedProgram.DataAddress);
        a.xor(esi, esi);
        a.mov(rax, 0xffff_ffff_ff60_0000UL);
        a.call(rax);
        a.test(rax, rax);
        a.jnz(bad);
        a.mov(rdx, GeneratedProgram.DataAddress);
        a.mov(rax, __qword_ptr[rdx]);
        a.cmp(rax, rbx);
        a.jl(bad);
        // write(1, "ok\n", 3); exit(0)
        a.mov(rsi, GeneratedProgram.DataAddress + 64);
        a.mov(__dword_ptr[rsi], 0x0a6b6f);
        a.mov(edi, 1);
        a.mov(edx, 3);
        a.mov(eax, 1);
        a.syscall();
        a.mov(eax, 231);
        a.xor(edi, edi);
        a.syscall();
        a.Label(ref bad);
        a.mov(eax, 231);
        a.mov(edi, 1);
        a.syscall();
        string exe = GeneratedProgram.Write(Path.Combine(_dir, "vsyscall"), a, []);
        var spec = new RunSpec(exe, [exe]) { WorkingDirectory = _dir };

        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);

        Assert.Equal("ok\n", native.StdoutText);
        RunResult.AssertSame(native, warden);
    }

    [SkippableFact]
    public void StraceLinesMatchStracesForTheSameCalls()
    {
        string? strace = Prerequisite.FindOnPath("strace");
        Prerequisite.Require(strace is not null, "strace");
        Busybox.Require();
        string file = Path.Combine(_dir, "in.txt");
        File.WriteAllText(file, "hello\n");

        // busybox cat moves the file with sendfile; echo writes its line with write.
        (string[] Args, string[] Lines)[] cases =
        [
            (["cat", file],
            [
                $"openat(AT_FDCWD, \"{file}\", O_RDONLY) = 3",
                "sendfile(1, 3, NULL, 16777216) = 6",
                "sendfile(1, 3, NULL, 16777216) = 0",
                "close(3) = 0",
                "+++ exited with 0 +++",
            ]),
            (["echo", "hi there"], ["write(1, \"hi there\\n\", 9) = 9", "exit_group(0) = ?", "+++ exited with 0 +++"]),
            (["cat", "/nonexistent"], ["openat(AT_FDCWD, \"/nonexistent\", O_RDONLY) = -1 ENOENT (No such file or directory)", "+++ exited with 1 +++"]),
        ];
        foreach ((string[] args, string[] lines) in cases)
        {
            var warden = new StringWriter();
            KernelRunner.Run(RunSpec.Busybox(args[0], args[1..]) with { WorkingDirectory = _dir, Strace = warden });
            string[] wardenLines = warden.ToString().Split('\n').Select(Collapse).ToArray();
            string[] nativeLines = NativeStrace(strace!, [Busybox.Path, .. args]);
            foreach (string line in lines)
            {
                // strace pads the result column; lines are compared with runs of spaces collapsed.
                Assert.Contains(line, nativeLines);
                Assert.Contains(line, wardenLines);
            }
        }
    }

    private string[] NativeStrace(string strace, string[] argv)
    {
        var start = new ProcessStartInfo(strace)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        foreach (string arg in (string[])["-e", "trace=openat,sendfile,close,write,exit_group", .. argv])
        {
            start.ArgumentList.Add(arg);
        }
        using Process native = Process.Start(start)!;
        Task<string> stdout = native.StandardOutput.ReadToEndAsync();
        string stderr = native.StandardError.ReadToEnd();
        native.WaitForExit();
        _ = stdout.Result;
        return stderr.Split('\n').Select(Collapse).ToArray();
    }

    private static string Collapse(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
