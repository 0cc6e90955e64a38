// A sandbox-style embedding of Warden: real x86-64 machine code (generated here with Iced) runs in a
// stub process under the ptrace platform, with its memory managed by a MemoryManager. Its system
// calls stop it and come to this program, which plays the kernel: it serves write(2) by copying the
// bytes out of the sandbox's memory and exit(2) by ending the run. Page faults go to the memory
// manager, as in any Warden embedding.
using System.Text;
using Iced.Intel;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using static Iced.Intel.AssemblerRegisters;

const ulong SysWrite = 1;
const ulong SysExit = 60;

Error? unsupported = PtracePlatform.CheckSupported();
if (unsupported is not null)
{
    Console.Error.WriteLine($"The ptrace platform cannot run here: {unsupported.Message}");
    return 2;
}

IContext ctx = Context.Background;
(MemoryFile? memory, Error? error) = MemoryFile.Create();
if (memory is null)
{
    Console.Error.WriteLine($"MemoryFile.Create: {error?.Message}");
    return 1;
}
(PtracePlatform? platform, error) = PtracePlatform.Create(memory);
if (platform is null)
{
    Console.Error.WriteLine($"PtracePlatform.Create: {error?.Message}");
    memory.Dispose();
    return 1;
}
var mm = new MemoryManager(platform);
ulong page = Arch.PageSize;
ulong data = Map(page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
ulong text = Map(page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);

// The sandboxed program: it builds a message in its data page, write(1, message, length)s it, and
// exits with the number of bytes the write reported.
byte[] message = Encoding.ASCII.GetBytes("hello from the sandbox\n");
var a = new Assembler(64);
a.mov(rbx, data);
for (int i = 0; i < message.Length; i += 8)
{
    var chunk = new byte[8];
    message.AsSpan(i, Math.Min(8, message.Length - i)).CopyTo(chunk);
    a.mov(rax, BitConverter.ToUInt64(chunk));
    a.mov(__qword_ptr[rbx + i], rax);
}
a.mov(eax, (int)SysWrite);
a.mov(edi, 1);
a.mov(rsi, rbx);
a.mov(edx, message.Length);
a.syscall();
a.mov(rdi, rax);
a.mov(eax, (int)SysExit);
a.syscall();
a.ud2();
var assembled = new MemoryStream();
a.Assemble(new StreamCodeWriter(assembled), text);

// Loaded like a loader would: written into a writable mapping, which is then made read-and-execute.
Check(mm.CopyOut(ctx, new Addr(text), assembled.ToArray(), default).Error, "writing the program");
Check(MemorySyscalls.Mprotect(ctx, mm, text, page, LinuxMman.PROT_READ | LinuxMman.PROT_EXEC), "mprotect");

(_, error) = mm.Activate(ctx);
Check(error, "Activate");
IPlatformContext thread = platform.NewContext();
var arch = new ArchContext();
arch.Registers.Rip = text;
int faults = 0;
int exitCode = -1;
while (exitCode < 0)
{
    (AccessType at, Error? stop) = thread.Switch(mm.AddressSpace!, arch, -1, out SignalInfo signal);
    if (stop is null)
    {
        ref PtraceRegs regs = ref arch.Registers;
        switch (regs.OrigRax)
        {
            case SysWrite:
            {
                // The kernel never trusts the program's pointer: the bytes are copied in through the
                // memory manager, and a bad buffer is EFAULT, not a crash.
                var buffer = new byte[(int)Math.Min(regs.Rdx, 4096)];
                (int n, Error? copyError) = mm.CopyIn(ctx, new Addr(regs.Rsi), buffer, default);
                Console.Write($"sandbox wrote to fd {regs.Rdi}: {Encoding.ASCII.GetString(buffer, 0, n)}");
                regs.Rax = copyError is null ? (ulong)n : unchecked((ulong)-14L); // -EFAULT
                break;
            }
            case SysExit:
                exitCode = (int)regs.Rdi;
                break;
            default:
                regs.Rax = unchecked((ulong)-38L); // -ENOSYS
                break;
        }
        continue;
    }
    if (ReferenceEquals(stop, PlatformErrors.ContextSignal) && signal.Signo == SignalInfo.SIGSEGV)
    {
        faults++;
        Error? fault = mm.HandleUserFault(ctx, new Addr(signal.Addr), at, new Addr(arch.Registers.Rsp));
        if (fault is not null)
        {
            Console.WriteLine($"segmentation fault at 0x{signal.Addr:x}: {fault.Message}");
            break;
        }
        continue;
    }
    if (ReferenceEquals(stop, PlatformErrors.ContextInterrupt))
    {
        continue;
    }
    Console.WriteLine($"stopped: {stop.Message} (signal {signal.Signo})");
    break;
}

Console.WriteLine($"sandbox exited with {exitCode}");
Console.WriteLine($"page faults served by the memory manager: {faults}");
mm.Dispose();
platform.Dispose();
memory.Dispose();
return exitCode >= 0 ? 0 : 1;

ulong Map(ulong length, int prot)
{
    (ulong address, Error? mapError) = MemorySyscalls.Mmap(ctx, mm, 0, length, (ulong)prot, LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS);
    Check(mapError, "mmap");
    return address;
}

static void Check(Error? error, string what)
{
    if (error is not null)
    {
        throw new InvalidOperationException($"{what}: {error.Message}");
    }
}
