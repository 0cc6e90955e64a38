using System.Globalization;
using System.Runtime.Versioning;
using Iced.Intel;
using Warden.HostArch;
using Warden.Platform;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// Tells what kind of access raised a memory fault in a stub, from the faulting instruction itself:
/// the instruction at <c>rip</c> is read out of the stub, decoded, and its memory operands' addresses
/// computed from the registers; the operand whose bytes include the fault address says read or
/// write, and a fault inside the instruction's own bytes that no operand explains is an execute.
/// </summary>
/// <remarks>
/// <para>
/// When several operands include the address (<c>movs</c>, <c>push</c>/<c>pop</c> of memory,
/// <c>call</c> through memory), the read is reported: x86 performs an instruction's loads before its
/// stores, so the read is the access that faulted. A read-modify-write operand reports read and
/// write, since the store needs the page writable. Operands whose size Iced does not know
/// (<c>rep</c> string operations, <c>xsave</c>) reach a page below and four pages above their
/// address, and the nearest such operand decides (a <c>rep movs</c> within one page faults at
/// <c>rsi</c> for its load and at <c>rdi</c> for its store); gathers and scatters (whose addresses
/// depend on vector registers) reach anywhere, at the lowest priority.
/// </para>
/// <para>
/// The one case the registers cannot settle, an operand that includes the fault address while the
/// address is also inside the instruction's bytes (an instruction storing into itself, or one fetched
/// from a non-executable page that happens to address itself), is settled by the page's protection
/// in <c>/proc/PID/maps</c>: if the page is executable the fault was the data access.
/// </para>
/// <para>
/// Instructions that cannot be decoded and have no fault inside their first 15 bytes (only if the
/// stub's memory cannot be read at all) are reported as reads, the least demanding guess.
/// </para>
/// <para>Not thread-safe: used only by its stub thread's tracer. Allocates nothing except in the
/// <c>/proc/PID/maps</c> case.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class FaultClassifier
{
    private const int MaxInstructionLength = 15;

    // How far around its address an operand of unknown size is taken to reach.
    private const ulong UnknownSizeBelow = Arch.PageSize;
    private const ulong UnknownSizeAbove = 4 * Arch.PageSize;

    private readonly StubProcess _process;
    private readonly BufferReader _reader = new();
    private readonly Decoder _decoder;
    private readonly InstructionInfoFactory _infoFactory = new();
    private readonly RegisterValues _registers = new();

    /// <summary>Creates a classifier that reads instructions from <paramref name="process"/>.</summary>
    public FaultClassifier(StubProcess process)
    {
        _process = process;
        _decoder = Decoder.Create(64, _reader);
    }

    /// <summary>
    /// Returns the kind of access that faulted at <paramref name="faultAddr"/>, for a thread stopped
    /// with <paramref name="regs"/> by the signal <paramref name="signo"/> of code <paramref name="code"/>.
    /// </summary>
    /// <remarks>
    /// A <c>SIGSEGV</c> of code <c>SEGV_ACCERR</c> at an address outside the instruction's bytes
    /// needs no decoding: it is a data access to a page the stub maps without the permission it
    /// needs, and every page Warden maps is readable (x86 reads whatever it may write or execute;
    /// execute-only memory faults with <c>SEGV_PKUERR</c>), so it is a write (a copy-on-write break,
    /// most often). That also settles a store whose operand shares the page with a load.
    /// </remarks>
    public AccessType Classify(in PtraceRegs regs, ulong faultAddr, int signo, int code)
    {
        ulong rip = regs.Rip;
        if (signo == SignalInfo.SIGSEGV && code == SignalInfo.SEGV_ACCERR && faultAddr - rip >= MaxInstructionLength)
        {
            return AccessType.WriteOnly;
        }
        int count = _process.ReadMemory(rip, _reader.Buffer.AsSpan(0, MaxInstructionLength));
        _reader.Reset(count);
        bool decoded = false;
        Instruction instruction = default;
        if (count > 0)
        {
            _decoder.IP = rip;
            _decoder.Decode(out instruction);
            decoded = _decoder.LastError == DecoderError.None && !instruction.IsInvalid;
        }

        ulong codeLength = decoded ? (ulong)instruction.Length : MaxInstructionLength;
        bool inInstruction = faultAddr - rip < codeLength;
        if (!decoded)
        {
            return inInstruction ? AccessType.ExecuteOnly : AccessType.ReadOnly;
        }

        _registers.Regs = regs;
        // Among the operands that reach the address, those nearest to it (distance 0 for one whose
        // bytes include it) decide; a tie between a read and a write goes to the read.
        ulong best = ulong.MaxValue;
        bool readCovers = false;
        bool writeCovers = false;
        bool writeAlsoReads = false;
        AccessType anyOperand = AccessType.NoAccess;
        InstructionInfo info = _infoFactory.GetInfo(instruction);
        foreach (UsedMemory memory in info.GetUsedMemory())
        {
            (bool isRead, bool isWrite) = Kind(memory.Access);
            if (!isRead && !isWrite)
            {
                continue;
            }
            anyOperand = anyOperand.Union(new AccessType(isRead, isWrite, false));
            ulong distance = Distance(memory, faultAddr);
            if (distance == ulong.MaxValue || distance > best)
            {
                continue;
            }
            if (distance < best)
            {
                best = distance;
                readCovers = writeCovers = writeAlsoReads = false;
            }
            if (isWrite)
            {
                writeCovers = true;
                writeAlsoReads |= isRead;
            }
            else
            {
                readCovers = true;
            }
        }

        if (readCovers || writeCovers)
        {
            if (inInstruction && !PageIsExecutable(faultAddr))
            {
                return AccessType.ExecuteOnly;
            }
            return readCovers ? AccessType.ReadOnly : new AccessType(writeAlsoReads, true, false);
        }
        if (inInstruction)
        {
            return AccessType.ExecuteOnly;
        }
        // No operand reaches the address (the registers no longer say where the access went):
        // report every access the instruction makes.
        return anyOperand.Any ? anyOperand : AccessType.ReadOnly;
    }

    private static (bool Read, bool Write) Kind(OpAccess access) => access switch
    {
        OpAccess.Read or OpAccess.CondRead => (true, false),
        OpAccess.Write or OpAccess.CondWrite => (false, true),
        OpAccess.ReadWrite or OpAccess.ReadCondWrite => (true, true),
        _ => (false, false),
    };

    // How far the operand's access is from faultAddr: 0 if its bytes include it; for an operand of
    // unknown size, the distance from its address if within reach; ulong.MaxValue if out of reach.
    private ulong Distance(in UsedMemory memory, ulong faultAddr)
    {
        if (memory.VsibSize != 0 || !memory.TryGetVirtualAddress(0, _registers, out ulong address))
        {
            // A gather or scatter: its addresses depend on vector registers; it reaches anywhere,
            // after everything that is known to.
            return ulong.MaxValue - 1;
        }
        int size = memory.MemorySize.GetSize();
        if (size != 0)
        {
            return faultAddr - address < (ulong)size ? 0 : ulong.MaxValue;
        }
        if (faultAddr >= address)
        {
            ulong above = faultAddr - address;
            return above < UnknownSizeAbove ? above : ulong.MaxValue;
        }
        ulong below = address - faultAddr;
        return below <= UnknownSizeBelow ? below : ulong.MaxValue;
    }

    // Reads the stub's /proc/PID/maps for the mapping holding addr (only for the rare ambiguous case).
    private bool PageIsExecutable(ulong addr)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{_process.Pid}/maps"))
            {
                int dash = line.IndexOf('-', StringComparison.Ordinal);
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (dash < 0 || space < dash)
                {
                    continue;
                }
                ulong start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (addr >= start && addr < end)
                {
                    return line.Length > space + 3 && line[space + 3] == 'x';
                }
            }
        }
        catch (IOException)
        {
            // The stub is gone; any answer will do.
        }
        return false;
    }

    // A code reader over a fixed buffer whose length is reset for each instruction.
    private sealed class BufferReader : CodeReader
    {
        private int _position;
        private int _length;

        public byte[] Buffer { get; } = new byte[16];

        public void Reset(int length)
        {
            _position = 0;
            _length = length;
        }

        public override int ReadByte() => _position < _length ? Buffer[_position++] : -1;
    }

    // The values of the general-purpose and segment-base registers, as Iced asks for them.
    private sealed class RegisterValues : IVATryGetRegisterValueProvider
    {
        public PtraceRegs Regs;

        public bool TryGetRegisterValue(Register register, int elementIndex, int elementSize, out ulong value)
        {
            value = 0;
            switch (register)
            {
                case Register.ES:
                case Register.CS:
                case Register.SS:
                case Register.DS:
                    return true;
                case Register.FS:
                    value = Regs.FsBase;
                    return true;
                case Register.GS:
                    value = Regs.GsBase;
                    return true;
                case Register.RIP:
                    value = Regs.Rip;
                    return true;
                case Register.AH:
                case Register.CH:
                case Register.DH:
                case Register.BH:
                    value = (Full(register - Register.AH + Register.RAX) >> 8) & 0xff;
                    return true;
            }
            if (!register.IsGPR())
            {
                return false;
            }
            value = Full(register.GetFullRegister());
            int size = register.GetSize();
            if (size < 8)
            {
                value &= (1UL << (size * 8)) - 1;
            }
            return true;
        }

        private ulong Full(Register register) => register switch
        {
            Register.RAX => Regs.Rax,
            Register.RCX => Regs.Rcx,
            Register.RDX => Regs.Rdx,
            Register.RBX => Regs.Rbx,
            Register.RSP => Regs.Rsp,
            Register.RBP => Regs.Rbp,
            Register.RSI => Regs.Rsi,
            Register.RDI => Regs.Rdi,
            Register.R8 => Regs.R8,
            Register.R9 => Regs.R9,
            Register.R10 => Regs.R10,
            Register.R11 => Regs.R11,
            Register.R12 => Regs.R12,
            Register.R13 => Regs.R13,
            Register.R14 => Regs.R14,
            Register.R15 => Regs.R15,
            _ => 0,
        };
    }
}
