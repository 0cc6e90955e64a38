using System.Buffers.Binary;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;

namespace EmulatorEmbedding;

/// <summary>The operations of a made-up instruction set, eight bytes each: opcode, ra, rb, 0, imm32.</summary>
internal enum Op : byte
{
    /// <summary>Stops the program: a system call with number <see cref="TinyCpu.SysHalt"/>.</summary>
    Halt = 0,

    /// <summary><c>ra = imm</c> (sign-extended).</summary>
    LoadImmediate = 1,

    /// <summary><c>ra = memory64[rb + imm]</c>.</summary>
    Load = 2,

    /// <summary><c>memory64[rb + imm] = ra</c>.</summary>
    Store = 3,

    /// <summary><c>ra += rb</c>.</summary>
    Add = 4,

    /// <summary><c>ra += imm</c>.</summary>
    AddImmediate = 5,

    /// <summary><c>if (ra != 0) pc += imm</c> (relative to the next instruction).</summary>
    JumpIfNotZero = 6,

    /// <summary>Asks the embedder to print <c>ra</c>: a system call with number <see cref="TinyCpu.SysOut"/>.</summary>
    Out = 7,
}

/// <summary>
/// The embedder's CPU: it interprets the tiny instruction set from application memory, which it reaches
/// only through the SoftMmu address space. Its four registers r0..r3 live in r8..r11 of the thread's
/// registers and its program counter in rip, so a faulting instruction simply runs again after the
/// memory manager has served the fault.
/// </summary>
internal sealed class TinyCpu : ISoftMmuCpu
{
    public const int InstructionSize = 8;
    public const ulong SysHalt = 60;
    public const ulong SysOut = 1;

    /// <summary>Instructions completed so far.</summary>
    public long Retired { get; private set; }

    public SoftMmuExit Run(SoftMmuAddressSpace addressSpace, ArchContext context, CancellationToken interrupt)
    {
        ref PtraceRegs regs = ref context.Registers;
        Span<byte> instruction = stackalloc byte[InstructionSize];
        Span<byte> word = stackalloc byte[8];
        while (!interrupt.IsCancellationRequested)
        {
            // Fetch. An unmapped (or not yet faulted-in) page is a fault the embedder hands to the
            // memory manager; the instruction is fetched again afterwards.
            (_, Error? error) = addressSpace.CopyIn(new Addr(regs.Rip), instruction);
            if (error is SegmentationFault fetchFault)
            {
                return SoftMmuExit.Fault(fetchFault.Addr, AccessType.ExecuteOnly);
            }
            var op = (Op)instruction[0];
            int a = instruction[1] & 3;
            int b = instruction[2] & 3;
            long imm = BinaryPrimitives.ReadInt32LittleEndian(instruction[4..]);
            ulong next = regs.Rip + InstructionSize;
            switch (op)
            {
                case Op.Halt:
                    regs.Rax = SysHalt;
                    regs.Rdi = Register(ref regs, 0);
                    regs.Rip = next;
                    Retired++;
                    return SoftMmuExit.Syscall;
                case Op.Out:
                    regs.Rax = SysOut;
                    regs.Rdi = Register(ref regs, a);
                    regs.Rip = next;
                    Retired++;
                    return SoftMmuExit.Syscall;
                case Op.LoadImmediate:
                    Register(ref regs, a) = (ulong)imm;
                    break;
                case Op.Load:
                {
                    var address = new Addr(Register(ref regs, b) + (ulong)imm);
                    (_, error) = addressSpace.CopyIn(address, word);
                    if (error is SegmentationFault fault)
                    {
                        return SoftMmuExit.Fault(fault.Addr, AccessType.ReadOnly);
                    }
                    Register(ref regs, a) = BinaryPrimitives.ReadUInt64LittleEndian(word);
                    break;
                }
                case Op.Store:
                {
                    var address = new Addr(Register(ref regs, b) + (ulong)imm);
                    BinaryPrimitives.WriteUInt64LittleEndian(word, Register(ref regs, a));
                    (_, error) = addressSpace.CopyOut(address, word);
                    if (error is SegmentationFault fault)
                    {
                        return SoftMmuExit.Fault(fault.Addr, AccessType.WriteOnly);
                    }
                    break;
                }
                case Op.Add:
                    Register(ref regs, a) += Register(ref regs, b);
                    break;
                case Op.AddImmediate:
                    Register(ref regs, a) += (ulong)imm;
                    break;
                case Op.JumpIfNotZero:
                    if (Register(ref regs, a) != 0)
                    {
                        next += (ulong)imm;
                    }
                    break;
                default:
                    // SIGILL at the instruction, as a real CPU would raise it.
                    var info = new SignalInfo { Signo = SignalInfo.SIGILL, Addr = regs.Rip };
                    return SoftMmuExit.Signal(in info);
            }
            regs.Rip = next;
            Retired++;
        }
        return SoftMmuExit.Interrupted;
    }

    private static ref ulong Register(ref PtraceRegs regs, int index)
    {
        switch (index)
        {
            case 0: return ref regs.R8;
            case 1: return ref regs.R9;
            case 2: return ref regs.R10;
            default: return ref regs.R11;
        }
    }

    /// <summary>Encodes one instruction.</summary>
    public static void Emit(List<byte> code, Op op, int a = 0, int b = 0, int imm = 0)
    {
        Span<byte> bytes = stackalloc byte[InstructionSize];
        bytes[0] = (byte)op;
        bytes[1] = (byte)a;
        bytes[2] = (byte)b;
        BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], imm);
        code.AddRange(bytes);
    }
}
