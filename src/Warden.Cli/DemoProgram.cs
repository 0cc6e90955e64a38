using System.Text;
using Iced.Intel;
using Warden.HostArch;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Cli;

/// <summary>
/// The program <c>warden run</c> runs when given none: a static x86-64 executable generated here,
/// which uses only raw system calls to exercise the memory manager and says what it saw.
/// </summary>
/// <remarks>
/// <para>What it does, one line of output per step (a failed call prints "STEP failed" and exits 1):</para>
/// <list type="number">
/// <item>maps an anonymous page read-write: "mmap: 0xADDRESS rw";</item>
/// <item>writes a line into it and hands the page to <c>write(1)</c>, so the kernel reads it back
/// out of the program's memory: "wrote and read back: hello from an anonymous page";</item>
/// <item>makes the page read-only: "mprotect: read-only";</item>
/// <item>maps a larger anonymous region and, without any call, stores into one of its pages: the
/// page is not there yet, so the store faults and the kernel serves the fault by mapping it; the
/// program reads its byte back: "fault at 0xADDRESS: served";</item>
/// <item>forks: the child writes 'c' into its copy-on-write copy of that page and says
/// "child: its copy of the page holds 0x63", exiting 7; the parent writes 'p' into its own, waits
/// for the child and says "parent: its copy of the page holds 0x70; the child exited with 7";</item>
/// <item>unmaps both: "munmap: ok"; and exits 0.</item>
/// </list>
/// </remarks>
internal static class DemoProgram
{
    /// <summary>Where the executable is loaded (a conventional static executable's address).</summary>
    public const ulong LoadAddress = 0x40_0000;

    /// <summary>The size of the region whose page is faulted in.</summary>
    public const int LazyRegionSize = 16 * PageSize;

    /// <summary>Which page of that region is touched.</summary>
    public const int TouchedPage = 5;

    /// <summary>The line the program writes into its first page.</summary>
    public const string Message = "wrote and read back: hello from an anonymous page\n";

    private const int PageSize = 4096;
    private const int LineBufferSize = 256;

    private const int SysWrite = 1;
    private const int SysMmap = 9;
    private const int SysMprotect = 10;
    private const int SysMunmap = 11;
    private const int SysExitGroup = 231;
    private const int SysFork = 57;
    private const int SysWait4 = 61;

    /// <summary>What the child writes into its copy of the faulted page ('c').</summary>
    public const byte ChildByte = 0x63;

    /// <summary>What the parent writes into its copy ('p').</summary>
    public const byte ParentByte = 0x70;

    /// <summary>The child's exit status.</summary>
    public const int ChildStatus = 7;
    private const int ProtRead = LinuxMman.PROT_READ;
    private const int ProtWrite = LinuxMman.PROT_WRITE;
    private const int MapPrivate = LinuxMman.MAP_PRIVATE;
    private const int MapAnonymous = LinuxMman.MAP_ANONYMOUS;
    private const byte Marker = 0x5a;

    /// <summary>The executable's bytes.</summary>
    public static byte[] Build()
    {
        var program = new Emitter();
        return ElfWriter.Write(LoadAddress, program.Assemble(LoadAddress + ElfWriter.CodeOffset));
    }

    /// <summary>
    /// Assembles the program. Registers it keeps: r15, the start of a line buffer on the stack;
    /// r14, the end of the line so far; r12, the first page; r13, the lazily faulted region.
    /// </summary>
    private sealed class Emitter
    {
        private readonly Assembler _a = new(64);
        private readonly List<(Label Label, byte[] Bytes)> _strings = [];
        private Label _append;
        private Label _appendHex;
        private Label _flush;
        private Label _hexDigits;

        public byte[] Assemble(ulong address)
        {
            Assembler a = _a;
            _append = a.CreateLabel();
            _appendHex = a.CreateLabel();
            _flush = a.CreateLabel();
            _hexDigits = a.CreateLabel();

            a.sub(rsp, LineBufferSize);
            a.mov(r15, rsp);
            a.mov(r14, r15);

            // mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            Mmap(PageSize);
            CheckResult("mmap");
            a.mov(r12, rax);
            Append("mmap: 0x");
            a.mov(rax, r12);
            a.call(_appendHex);
            Append(" rw\n");
            a.call(_flush);

            // Copy the line into the page, then write(1, page, length): the kernel reads it back from there.
            byte[] message = Encoding.ASCII.GetBytes(Message);
            a.mov(rdi, r12);
            a.lea(rsi, __[String(message)]);
            a.mov(ecx, message.Length);
            a.rep.movsb();
            a.mov(eax, SysWrite);
            a.mov(edi, 1);
            a.mov(rsi, r12);
            a.mov(edx, message.Length);
            a.syscall();
            CheckResult("write");

            // mprotect(page, 4096, PROT_READ)
            a.mov(eax, SysMprotect);
            a.mov(rdi, r12);
            a.mov(esi, PageSize);
            a.mov(edx, ProtRead);
            a.syscall();
            CheckResult("mprotect");
            Append("mprotect: read-only\n");
            a.call(_flush);

            // A region mapped but never touched: the store below finds no page and faults.
            Mmap(LazyRegionSize);
            CheckResult("mmap (lazy region)");
            a.mov(r13, rax);
            a.lea(rbx, __[r13 + TouchedPage * PageSize]);
            a.mov(__byte_ptr[rbx], Marker);
            Label readBack = a.CreateLabel();
            a.cmp(__byte_ptr[rbx], Marker);
            a.je(readBack);
            Fail("fault");
            a.Label(ref readBack);
            Append("fault at 0x");
            a.mov(rax, rbx);
            a.call(_appendHex);
            Append(": served\n");
            a.call(_flush);

            // fork(): parent and child each write their own copy of the faulted page (copy-on-write),
            // the child says what its copy holds and exits 7; the parent waits for it, then says what
            // its copy holds and how the child ended.
            a.mov(eax, SysFork);
            a.syscall();
            CheckResult("fork");
            Label parent = a.CreateLabel();
            a.test(rax, rax);
            a.jnz(parent);
            a.mov(__byte_ptr[rbx], ChildByte);
            Append("child: its copy of the page holds 0x");
            a.movzx(eax, __byte_ptr[rbx]);
            a.call(_appendHex);
            Append("\n");
            a.call(_flush);
            ExitGroup(ChildStatus);
            a.Label(ref parent);
            a.mov(__byte_ptr[rbx], ParentByte);
            // wait4(pid, &status, 0, NULL), the status word in the line buffer's last 8 bytes.
            a.mov(rdi, rax);
            a.lea(rsi, __[r15 + LineBufferSize - 8]);
            a.xor(edx, edx);
            a.xor(r10d, r10d);
            a.mov(eax, SysWait4);
            a.syscall();
            CheckResult("wait4");
            Append("parent: its copy of the page holds 0x");
            a.movzx(eax, __byte_ptr[rbx]);
            a.call(_appendHex);
            Append("; the child exited with ");
            a.movzx(eax, __byte_ptr[r15 + LineBufferSize - 7]);
            a.call(_appendHex);
            Append("\n");
            a.call(_flush);

            // munmap(page, 4096); munmap(region, LazyRegionSize)
            a.mov(eax, SysMunmap);
            a.mov(rdi, r12);
            a.mov(esi, PageSize);
            a.syscall();
            CheckResult("munmap");
            a.mov(eax, SysMunmap);
            a.mov(rdi, r13);
            a.mov(esi, LazyRegionSize);
            a.syscall();
            CheckResult("munmap (lazy region)");
            Append("munmap: ok\n");
            a.call(_flush);

            ExitGroup(0);

            EmitRoutines();
            foreach ((Label label, byte[] bytes) in _strings)
            {
                Label l = label;
                a.Label(ref l);
                a.db(bytes);
            }

            var stream = new MemoryStream();
            a.Assemble(new StreamCodeWriter(stream), address);
            return stream.ToArray();
        }

        private void Mmap(int length)
        {
            Assembler a = _a;
            a.mov(eax, SysMmap);
            a.xor(edi, edi);
            a.mov(esi, length);
            a.mov(edx, ProtRead | ProtWrite);
            a.mov(r10d, MapPrivate | MapAnonymous);
            a.mov(r8, -1);
            a.xor(r9d, r9d);
            a.syscall();
        }

        // A result from -4095 to -1 is an errno: say which step failed and exit 1.
        private void CheckResult(string step)
        {
            Assembler a = _a;
            Label ok = a.CreateLabel();
            a.cmp(rax, -4095);
            a.jb(ok);
            Fail(step);
            a.Label(ref ok);
        }

        private void Fail(string step)
        {
            // A failure may come in the middle of a line: start afresh.
            _a.mov(r14, r15);
            Append(step + " failed\n");
            _a.call(_flush);
            ExitGroup(1);
        }

        private void ExitGroup(int code)
        {
            Assembler a = _a;
            a.mov(eax, SysExitGroup);
            a.mov(edi, code);
            a.syscall();
            a.int3();
        }

        // Appends a constant string to the line.
        private void Append(string text)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            _a.lea(rsi, __[String(bytes)]);
            _a.mov(ecx, bytes.Length);
            _a.call(_append);
        }

        private Label String(byte[] bytes)
        {
            Label label = _a.CreateLabel();
            _strings.Add((label, bytes));
            return label;
        }

        private void EmitRoutines()
        {
            Assembler a = _a;

            // append: copies rcx bytes from rsi to the end of the line.
            a.Label(ref _append);
            a.mov(rdi, r14);
            a.rep.movsb();
            a.mov(r14, rdi);
            a.ret();

            // appendHex: appends rax in hexadecimal, without leading zeros (at least one digit).
            Label skip = a.CreateLabel();
            Label digits = a.CreateLabel();
            a.Label(ref _appendHex);
            a.mov(rdx, rax);
            a.mov(ecx, 16);
            a.Label(ref skip);
            a.cmp(ecx, 1);
            a.je(digits);
            a.mov(r8, rdx);
            a.shr(r8, 60);
            a.jnz(digits);
            a.shl(rdx, 4);
            a.dec(ecx);
            a.jmp(skip);
            a.Label(ref digits);
            a.mov(r8, rdx);
            a.shr(r8, 60);
            a.lea(r9, __[_hexDigits]);
            a.movzx(r8d, __byte_ptr[r9 + r8]);
            a.mov(__byte_ptr[r14], r8b);
            a.inc(r14);
            a.shl(rdx, 4);
            a.dec(ecx);
            a.jnz(digits);
            a.ret();

            // flush: write(1, line, length) and start a new line.
            a.Label(ref _flush);
            a.mov(eax, SysWrite);
            a.mov(edi, 1);
            a.mov(rsi, r15);
            a.mov(rdx, r14);
            a.sub(rdx, r15);
            a.syscall();
            a.mov(r14, r15);
            a.ret();

            a.Label(ref _hexDigits);
            a.db(Encoding.ASCII.GetBytes("0123456789abcdef"));
        }
    }
}
