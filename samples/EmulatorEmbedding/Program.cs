// An emulator-style embedding of Warden: the embedder brings the CPU (here an interpreter for a tiny
// made-up instruction set), Warden brings the memory. The program and its data are mmapped through a
// MemoryManager on the in-process SoftMmu platform; every page the CPU touches first faults, and the
// embedder hands each fault to the memory manager, which maps the page and lets the CPU retry.
using System.Buffers.Binary;
using EmulatorEmbedding;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.Platforms.SoftMmu;

IContext ctx = Context.Background;
(MemoryFile? memory, Error? error) = MemoryFile.Create();
if (memory is null)
{
    Console.Error.WriteLine($"MemoryFile.Create: {error?.Message}");
    return 1;
}
var platform = new SoftMmuPlatform(memory);
var mm = new MemoryManager(platform);

// The data: a count and the values to add; the program stores their sum on the next page.
long[] values = [10, 20, 30, 40, 50];
ulong page = Arch.PageSize;
ulong data = Map(2 * page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
var bytes = new byte[8 * (values.Length + 1)];
BinaryPrimitives.WriteInt64LittleEndian(bytes, values.Length);
for (int i = 0; i < values.Length; i++)
{
    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * (i + 1)), values[i]);
}
Check(mm.CopyOut(ctx, new Addr(data), bytes, default).Error, "writing the data");

// The program (r1 holds the data's address on entry), written like a loader writes one: into a
// writable mapping, which is then made read-and-execute.
var code = new List<byte>();
TinyCpu.Emit(code, Op.Load, a: 2, b: 1);                 // r2 = count
TinyCpu.Emit(code, Op.LoadImmediate, a: 0, imm: 0);      // r0 = 0
TinyCpu.Emit(code, Op.AddImmediate, a: 1, imm: 8);       // loop: r1 += 8
TinyCpu.Emit(code, Op.Load, a: 3, b: 1);                 //   r3 = [r1]
TinyCpu.Emit(code, Op.Add, a: 0, b: 3);                  //   r0 += r3
TinyCpu.Emit(code, Op.AddImmediate, a: 2, imm: -1);      //   r2 -= 1
TinyCpu.Emit(code, Op.JumpIfNotZero, a: 2, imm: -5 * TinyCpu.InstructionSize); // while r2 != 0
TinyCpu.Emit(code, Op.Store, a: 0, b: 1, imm: (int)page - 8 * values.Length); // [data + page] = r0
TinyCpu.Emit(code, Op.Out, a: 0);                        // print r0
TinyCpu.Emit(code, Op.Halt);
ulong text = Map(page, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE);
Check(mm.CopyOut(ctx, new Addr(text), code.ToArray(), default).Error, "writing the program");
Check(MemorySyscalls.Mprotect(ctx, mm, text, page, LinuxMman.PROT_READ | LinuxMman.PROT_EXEC), "mprotect");

// Run: the platform's address space, a context with the embedder's CPU, and the thread's registers.
(_, error) = mm.Activate(ctx);
Check(error, "Activate");
var cpu = new TinyCpu();
SoftMmuContext thread = platform.NewContext(cpu);
var arch = new ArchContext();
arch.Registers.Rip = text;
arch.Registers.R9 = data;
int faults = 0;
while (true)
{
    (AccessType at, Error? stop) = thread.Switch(mm.AddressSpace!, arch, cpu: 0, out SignalInfo signal);
    if (stop is null)
    {
        // A system call: the embedder is the kernel here.
        if (arch.Registers.Rax == TinyCpu.SysOut)
        {
            Console.WriteLine($"out: {arch.Registers.Rdi}");
            continue;
        }
        Console.WriteLine($"halted after {cpu.Retired} instructions");
        break;
    }
    if (ReferenceEquals(stop, PlatformErrors.ContextSignal) && signal.Signo == SignalInfo.SIGSEGV)
    {
        faults++;
        Error? fault = mm.HandleUserFault(ctx, new Addr(signal.Addr), at, default);
        if (fault is not null)
        {
            // A real embedder would deliver SIGSEGV to the program here.
            Console.WriteLine($"segmentation fault at 0x{signal.Addr:x} ({at}): {fault.Message}");
            break;
        }
        continue;
    }
    if (ReferenceEquals(stop, PlatformErrors.ContextInterrupt))
    {
        continue;
    }
    Console.WriteLine($"stopped by signal {signal.Signo} at 0x{signal.Addr:x}");
    break;
}

var result = new byte[8];
Check(mm.CopyIn(ctx, new Addr(data + page), result, default).Error, "reading the result");
Console.WriteLine($"sum in memory at data+0x{page:x}: {BinaryPrimitives.ReadInt64LittleEndian(result)}");
Console.WriteLine($"page faults served by the memory manager: {faults}");
mm.Dispose();
memory.Dispose();
return 0;

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
