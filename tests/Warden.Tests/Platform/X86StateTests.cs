using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Warden.Platform;
using Xunit;

namespace Warden.Tests.Platform;

/// <summary>The in-process properties of the x86-64 state types; <see cref="LinuxLayoutTests"/> checks them against the headers.</summary>
public class X86StateTests
{
    private static readonly string[] s_registerOrder =
    [
        "R15", "R14", "R13", "R12", "Rbp", "Rbx", "R11", "R10", "R9", "R8", "Rax", "Rcx", "Rdx", "Rsi", "Rdi",
        "OrigRax", "Rip", "Cs", "Eflags", "Rsp", "Ss", "FsBase", "GsBase", "Ds", "Es", "Fs", "Gs",
    ];

    [Fact]
    public void PtraceRegs_Is27PackedRegisters_InKernelOrder()
    {
        Assert.Equal(216, PtraceRegs.Size);
        Assert.Equal(PtraceRegs.Size, Unsafe.SizeOf<PtraceRegs>());
        Assert.Equal(PtraceRegs.Size, Marshal.SizeOf<PtraceRegs>());
        for (int i = 0; i < s_registerOrder.Length; i++)
        {
            Assert.Equal(i * 8, (int)Marshal.OffsetOf<PtraceRegs>(s_registerOrder[i]));
        }
        Assert.Equal(s_registerOrder.Length, typeof(PtraceRegs).GetFields().Count(f => !f.IsLiteral));
    }

    [Fact]
    public void SignalInfo_Is128Bytes_WithTheUnionAt16()
    {
        Assert.Equal(128, SignalInfo.Size);
        Assert.Equal(128, Unsafe.SizeOf<SignalInfo>());
        Assert.Equal(128, Marshal.SizeOf<SignalInfo>());

        var info = new SignalInfo { Signo = SignalInfo.SIGSEGV, Code = SignalInfo.SEGV_ACCERR, Addr = 0x1122_3344_5566_7788 };
        Span<byte> bytes = MemoryMarshal.AsBytes(new Span<SignalInfo>(ref info));
        Assert.Equal(11, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]));
        Assert.Equal(0x1122_3344_5566_7788UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]));
        // The union overlaps: si_pid is the low half of si_addr.
        Assert.Equal(0x5566_7788, info.Pid);
    }

    [Fact]
    public void SignalConstants_HaveLinuxValues()
    {
        Assert.Equal(4, SignalInfo.SIGILL);
        Assert.Equal(5, SignalInfo.SIGTRAP);
        Assert.Equal(7, SignalInfo.SIGBUS);
        Assert.Equal(8, SignalInfo.SIGFPE);
        Assert.Equal(11, SignalInfo.SIGSEGV);
        Assert.Equal(17, SignalInfo.SIGCHLD);
        Assert.Equal(1, SignalInfo.SEGV_MAPERR);
        Assert.Equal(2, SignalInfo.SEGV_ACCERR);
    }

    [Fact]
    public void FPState_Default_HasTheHostSize_And64ByteAlignment()
    {
        var state = new FPState();
        Assert.Equal(FPState.HostSize, state.Size);
        Assert.True(FPState.HostSize >= FPState.MinimumSize);
        Assert.Equal(0, state.Block.Address % 64);
        Assert.Equal(state.Size, state.Block.Length);
        Assert.Equal(state.Size, state.AsSpan().Length);
        Assert.Equal(512, state.LegacyRegion().Length);
    }

    [Fact]
    public void FPState_ManyAllocations_AreAllAligned()
    {
        var states = new List<FPState>();
        for (int i = 0; i < 64; i++)
        {
            states.Add(new FPState(FPState.MinimumSize + i));
        }
        Assert.All(states, s => Assert.Equal(0, s.Block.Address % FPState.Alignment));
    }

    [Fact]
    public void FPState_SpanAndBlock_AreTheSameBytes()
    {
        var state = new FPState();
        state.AsSpan()[100] = 0x42;
        Assert.Equal(0x42, state.Block.AsSpan()[100]);
        Assert.Equal(0x42, state.LegacyRegion()[100]);
    }

    [Fact]
    public void FPState_InitialState_HasFcwAndMxcsr_AndIsOtherwiseZero()
    {
        var state = new FPState();
        AssertInitial(state);

        state.AsSpan().Fill(0xFF);
        state.Reset();
        AssertInitial(state);
    }

    private static void AssertInitial(FPState state)
    {
        Span<byte> area = state.AsSpan();
        Assert.Equal((ushort)0x37f, BinaryPrimitives.ReadUInt16LittleEndian(area[FPState.FcwOffset..]));
        Assert.Equal(0x1f80U, BinaryPrimitives.ReadUInt32LittleEndian(area[FPState.MxcsrOffset..]));
        for (int i = 0; i < area.Length; i++)
        {
            bool isFcw = i is >= FPState.FcwOffset and < FPState.FcwOffset + 2;
            bool isMxcsr = i is >= FPState.MxcsrOffset and < FPState.MxcsrOffset + 4;
            if (!isFcw && !isMxcsr)
            {
                Assert.True(area[i] == 0, $"byte {i} is 0x{area[i]:x2}");
            }
        }
    }

    [Fact]
    public void FPState_Clone_IsAnIndependentCopy()
    {
        var state = new FPState();
        state.AsSpan()[600 % state.Size] = 9;
        FPState copy = state.Clone();
        Assert.Equal(state.Size, copy.Size);
        Assert.True(state.AsSpan().SequenceEqual(copy.AsSpan()));
        Assert.NotEqual(state.Block.Address, copy.Block.Address);
        Assert.Equal(0, copy.Block.Address % 64);

        copy.AsSpan()[0] = 0;
        Assert.NotEqual(state.AsSpan()[0], copy.AsSpan()[0]);
    }

    [Fact]
    public void FPState_CopyFrom_NeedsTheSameSize()
    {
        var small = new FPState(FPState.MinimumSize);
        var large = new FPState(FPState.MinimumSize + 64);
        Assert.Throws<ArgumentException>(() => large.CopyFrom(small));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FPState(FPState.MinimumSize - 1));
    }

    [Fact]
    public void ArchContext_Registers_AreChangedInPlace()
    {
        var context = new ArchContext();
        context.Registers.Rip = 0x401000;
        ref PtraceRegs regs = ref context.Registers;
        regs.Rsp = 0x7fff_0000;
        Assert.Equal(0x401000UL, context.Registers.Rip);
        Assert.Equal(0x7fff_0000UL, context.Registers.Rsp);
        Assert.Equal(FPState.HostSize, context.FPState.Size);
    }

    [Fact]
    public void ArchContext_Clone_IsDeep()
    {
        var context = new ArchContext();
        context.Registers.Rax = 60;
        context.FPState.AsSpan()[32] = 7;

        ArchContext copy = context.Clone();
        Assert.Equal(60UL, copy.Registers.Rax);
        Assert.Equal(7, copy.FPState.AsSpan()[32]);
        Assert.NotSame(context.FPState, copy.FPState);

        copy.Registers.Rax = 1;
        copy.FPState.AsSpan()[32] = 0;
        Assert.Equal(60UL, context.Registers.Rax);
        Assert.Equal(7, context.FPState.AsSpan()[32]);
    }

    [Fact]
    public void ArchContext_KeepsTheGivenFPState()
    {
        var fp = new FPState(FPState.MinimumSize);
        var context = new ArchContext(fp);
        Assert.Same(fp, context.FPState);
        Assert.Throws<ArgumentNullException>(() => new ArchContext(null!));
    }
}
