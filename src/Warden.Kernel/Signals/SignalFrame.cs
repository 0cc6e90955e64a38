using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;
using Warden.Platform;

namespace Warden.Kernel.Signals;

/// <summary>
/// x86-64 Linux's signal frame (<c>struct rt_sigframe</c>), built on the user stack when a handler
/// runs and read back by rt_sigreturn(2): the restorer as return address, a <c>ucontext</c> (flags,
/// link, the alternate stack, the <c>sigcontext</c> with every general register, and the signal
/// mask), the <c>siginfo</c>, and the XSAVE area of the floating-point state, 64-byte aligned, with
/// the software bytes and the end magic the kernel puts there.
/// </summary>
/// <remarks>Application memory is reached only through the task's copy methods.</remarks>
internal static class SignalFrame
{
    // struct rt_sigframe: pretcode (8), ucontext (304), siginfo (128).
    private const int UcontextOffset = 8;
    private const int SiginfoOffset = UcontextOffset + UcontextSize;
    private const int FrameSize = SiginfoOffset + SignalInfo.Size;

    // struct ucontext: uc_flags, uc_link, uc_stack (24), uc_mcontext (struct sigcontext, 256), uc_sigmask (8).
    private const int UcontextSize = 304;
    private const int UcFlags = 0;
    private const int UcStack = 16;
    private const int UcMcontext = 40;
    private const int UcSigmask = 296;

    // struct sigcontext, from uc_mcontext.
    private const int ScR8 = 0;
    private const int ScRip = 16 * 8;
    private const int ScEflags = 17 * 8;
    private const int ScCsGsFsSs = 18 * 8;
    private const int ScErr = 19 * 8;
    private const int ScTrapno = 20 * 8;
    private const int ScOldmask = 21 * 8;
    private const int ScCr2 = 22 * 8;
    private const int ScFpstate = 23 * 8;

    // uc_flags: the frame has an XSAVE area; the saved ss is meaningful (and restored strictly).
    private const ulong UC_FP_XSTATE = 0x1;
    private const ulong UC_SIGCONTEXT_SS = 0x2;
    private const ulong UC_STRICT_RESTORE_SS = 0x4;

    // The software bytes in the FXSAVE region's reserved tail (struct _fpx_sw_bytes) and the magic after the area.
    private const int SwBytesOffset = 464;
    private const uint FpXstateMagic1 = 0x46505853;
    private const uint FpXstateMagic2 = 0x46505845;
    private const int Magic2Size = 4;
    private const int XstateBvOffset = FPState.LegacyRegionSize;

    // The flags sigreturn takes from the frame (Linux's FIX_EFLAGS): the arithmetic ones, TF, DF, RF and AC.
    private const ulong FixEflags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x10000 | 0x40000;

    // Flags cleared when a handler starts: TF, DF, RF (as Linux's signal setup does).
    private const ulong HandlerClearedEflags = 0x100 | 0x400 | 0x10000;

    private const ulong RedZone = 128;

    /// <summary>The XSAVE components this CPU and kernel enable (from CPUID leaf 0xD), as the frame's software bytes name them.</summary>
    private static readonly ulong s_xfeatures = QueryXFeatures();

    /// <summary>
    /// Builds the frame for <paramref name="info"/> handled by <paramref name="action"/> and points the
    /// registers at the handler: rdi the signal, rsi the siginfo, rdx the ucontext, rsp the frame
    /// (so that the handler's return pops the restorer), the floating-point state reset.
    /// </summary>
    /// <param name="task">The task, whose registers and floating-point state are current.</param>
    /// <param name="info">What the signal carries.</param>
    /// <param name="action">The handler's action (SA_RESTORER's address, SA_ONSTACK, SA_SIGINFO).</param>
    /// <param name="savedMask">The mask sigreturn puts back (the one before the handler, or sigsuspend's saved one).</param>
    /// <returns>EFAULT if the frame cannot be written (the caller then kills with SIGSEGV), else null.</returns>
    public static Errno? Build(KernelTask task, in SignalInfo info, in SignalAction action, ulong savedMask)
    {
        if ((action.Flags & SignalAction.SA_RESTORER) == 0)
        {
            // x86-64 has no sigreturn trampoline of the kernel's own: without a restorer the frame
            // cannot be returned from, and Linux refuses to build it.
            return Errno.EFAULT;
        }
        ref PtraceRegs regs = ref task.Arch.Registers;
        ulong sp = regs.Rsp;
        SignalStack stack = task.AltStack;
        bool onStack = stack.Contains(sp);
        if ((action.Flags & SignalAction.SA_ONSTACK) != 0 && stack.IsEnabled && !onStack)
        {
            sp = stack.Sp + stack.Size;
        }
        else
        {
            sp -= RedZone;
        }

        FPState fp = task.Arch.FPState;
        int fpSize = fp.Size + Magic2Size;
        ulong fpAddr = (sp - (ulong)fpSize) & ~63UL;
        ulong frame = ((fpAddr - FrameSize) & ~15UL) - 8;
        if (frame > sp || frame >= Arch.TaskSize)
        {
            return Errno.EFAULT;
        }

        // The floating-point area, with the software bytes that say what follows the legacy region.
        byte[] fpImage = new byte[fpSize];
        fp.AsSpan().CopyTo(fpImage);
        Span<byte> sw = fpImage.AsSpan(SwBytesOffset, 48);
        sw.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(sw, FpXstateMagic1);
        BinaryPrimitives.WriteUInt32LittleEndian(sw[4..], (uint)fpSize);
        BinaryPrimitives.WriteUInt64LittleEndian(sw[8..], s_xfeatures);
        BinaryPrimitives.WriteUInt32LittleEndian(sw[16..], (uint)fp.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(fpImage.AsSpan(fp.Size), FpXstateMagic2);

        Span<byte> image = stackalloc byte[FrameSize];
        image.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(image, action.Restorer);
        Span<byte> uc = image.Slice(UcontextOffset, UcontextSize);
        BinaryPrimitives.WriteUInt64LittleEndian(uc[UcFlags..], UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
        BinaryPrimitives.WriteUInt64LittleEndian(uc[UcStack..], stack.Sp);
        BinaryPrimitives.WriteInt32LittleEndian(uc[(UcStack + 8)..], stack.FlagsFor(regs.Rsp));
        BinaryPrimitives.WriteUInt64LittleEndian(uc[(UcStack + 16)..], stack.Size);
        WriteSigcontext(uc.Slice(UcMcontext, 256), in regs, in info, savedMask, fpAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(uc[UcSigmask..], savedMask);
        System.Runtime.InteropServices.MemoryMarshal.Write(image[SiginfoOffset..], in info);

        if (task.CopyOut((Addr)fpAddr, fpImage).Error is not null || task.CopyOut((Addr)frame, image).Error is not null)
        {
            return Errno.EFAULT;
        }

        regs.Rsp = frame;
        regs.Rip = action.Handler;
        regs.Rdi = (ulong)info.Signo;
        regs.Rsi = frame + SiginfoOffset;
        regs.Rdx = frame + UcontextOffset;
        regs.Rax = 0;
        regs.Eflags &= ~HandlerClearedEflags;
        // The handler starts with the floating-point state a new thread has (Linux's fpu__clear_user_states).
        fp.Reset();
        return null;
    }

    /// <summary>
    /// rt_sigreturn(2): reads the frame the handler returned from (at rsp - 8) and restores the
    /// registers, the floating-point state, the signal mask and the alternate stack from it.
    /// </summary>
    /// <returns>The signal mask to set, or EFAULT when the frame cannot be read (the caller kills with SIGSEGV).</returns>
    public static (ulong Mask, Errno? Error) Restore(KernelTask task)
    {
        ref PtraceRegs regs = ref task.Arch.Registers;
        ulong frame = regs.Rsp - 8;
        Span<byte> image = stackalloc byte[FrameSize];
        if (task.CopyIn((Addr)frame, image).Error is not null)
        {
            return (0, Errno.EFAULT);
        }
        ReadOnlySpan<byte> uc = image.Slice(UcontextOffset, UcontextSize);
        ReadOnlySpan<byte> sc = uc.Slice(UcMcontext, 256);
        ulong fpAddr = BinaryPrimitives.ReadUInt64LittleEndian(sc[ScFpstate..]);
        if (fpAddr != 0 && RestoreFP(task, fpAddr) is Errno fpError)
        {
            return (0, fpError);
        }

        regs.R8 = Read(sc, 0);
        regs.R9 = Read(sc, 1);
        regs.R10 = Read(sc, 2);
        regs.R11 = Read(sc, 3);
        regs.R12 = Read(sc, 4);
        regs.R13 = Read(sc, 5);
        regs.R14 = Read(sc, 6);
        regs.R15 = Read(sc, 7);
        regs.Rdi = Read(sc, 8);
        regs.Rsi = Read(sc, 9);
        regs.Rbp = Read(sc, 10);
        regs.Rbx = Read(sc, 11);
        regs.Rdx = Read(sc, 12);
        regs.Rax = Read(sc, 13);
        regs.Rcx = Read(sc, 14);
        regs.Rsp = Read(sc, 15);
        regs.Rip = BinaryPrimitives.ReadUInt64LittleEndian(sc[ScRip..]);
        regs.Eflags = (regs.Eflags & ~FixEflags) | (BinaryPrimitives.ReadUInt64LittleEndian(sc[ScEflags..]) & FixEflags);
        // No system call is restarted after a sigreturn.
        regs.OrigRax = ulong.MaxValue;

        ulong mask = BinaryPrimitives.ReadUInt64LittleEndian(uc[UcSigmask..]);
        task.AltStack = task.AltStack.RestoredFrom(
            BinaryPrimitives.ReadUInt64LittleEndian(uc[UcStack..]),
            BinaryPrimitives.ReadInt32LittleEndian(uc[(UcStack + 8)..]),
            BinaryPrimitives.ReadUInt64LittleEndian(uc[(UcStack + 16)..]),
            regs.Rsp);
        return (mask & ~Signal.Unblockable, null);
    }

    private static ulong Read(ReadOnlySpan<byte> sigcontext, int index) =>
        BinaryPrimitives.ReadUInt64LittleEndian(sigcontext[(ScR8 + (index * 8))..]);

    private static void WriteSigcontext(Span<byte> sc, in PtraceRegs regs, in SignalInfo info, ulong mask, ulong fpAddr)
    {
        ReadOnlySpan<ulong> values =
        [
            regs.R8, regs.R9, regs.R10, regs.R11, regs.R12, regs.R13, regs.R14, regs.R15,
            regs.Rdi, regs.Rsi, regs.Rbp, regs.Rbx, regs.Rdx, regs.Rax, regs.Rcx, regs.Rsp,
            regs.Rip, regs.Eflags,
        ];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(sc[(i * 8)..], values[i]);
        }
        // cs, gs, fs, ss (16 bits each).
        BinaryPrimitives.WriteUInt16LittleEndian(sc[ScCsGsFsSs..], (ushort)regs.Cs);
        BinaryPrimitives.WriteUInt16LittleEndian(sc[(ScCsGsFsSs + 2)..], (ushort)regs.Gs);
        BinaryPrimitives.WriteUInt16LittleEndian(sc[(ScCsGsFsSs + 4)..], (ushort)regs.Fs);
        BinaryPrimitives.WriteUInt16LittleEndian(sc[(ScCsGsFsSs + 6)..], (ushort)regs.Ss);
        bool fault = info.Signo is Signal.SIGSEGV or Signal.SIGBUS && info.Code > 0;
        // A page fault's trap number (14) and the faulting address, as the CPU reported them.
        BinaryPrimitives.WriteUInt64LittleEndian(sc[ScErr..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(sc[ScTrapno..], fault ? 14UL : 0UL);
        BinaryPrimitives.WriteUInt64LittleEndian(sc[ScOldmask..], mask);
        BinaryPrimitives.WriteUInt64LittleEndian(sc[ScCr2..], fault ? info.Addr : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(sc[ScFpstate..], fpAddr);
    }

    // Reads the XSAVE area at fpAddr into the task's state: the whole area when its software bytes
    // are valid, else only the legacy FXSAVE region (the extended components then start afresh), as
    // Linux's restore_fpregs_from_user does. Fields the CPU would fault on are made valid.
    private static Errno? RestoreFP(KernelTask task, ulong fpAddr)
    {
        FPState fp = task.Arch.FPState;
        byte[] area = new byte[fp.Size + Magic2Size];
        if (task.CopyIn((Addr)fpAddr, area.AsSpan(0, FPState.LegacyRegionSize)).Error is not null)
        {
            return Errno.EFAULT;
        }
        ReadOnlySpan<byte> sw = area.AsSpan(SwBytesOffset);
        uint magic1 = BinaryPrimitives.ReadUInt32LittleEndian(sw);
        uint extended = BinaryPrimitives.ReadUInt32LittleEndian(sw[4..]);
        uint xstateSize = BinaryPrimitives.ReadUInt32LittleEndian(sw[16..]);
        bool full = magic1 == FpXstateMagic1 && xstateSize == fp.Size && extended == xstateSize + Magic2Size &&
            task.CopyIn((Addr)(fpAddr + FPState.LegacyRegionSize), area.AsSpan(FPState.LegacyRegionSize)).Error is null &&
            BinaryPrimitives.ReadUInt32LittleEndian(area.AsSpan(fp.Size)) == FpXstateMagic2;
        Span<byte> state = fp.AsSpan();
        if (full)
        {
            area.AsSpan(0, fp.Size).CopyTo(state);
            ulong bv = BinaryPrimitives.ReadUInt64LittleEndian(state[XstateBvOffset..]) & s_xfeatures;
            state.Slice(XstateBvOffset, FPState.XsaveHeaderSize).Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(state[XstateBvOffset..], bv);
        }
        else
        {
            fp.Reset();
            area.AsSpan(0, FPState.LegacyRegionSize).CopyTo(state);
            // x87 and SSE state come from the legacy region.
            BinaryPrimitives.WriteUInt64LittleEndian(state[XstateBvOffset..], 0x3);
        }
        state.Slice(SwBytesOffset, 48).Clear();
        // MXCSR's reserved bits would make the CPU fault on restoring it.
        uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(state[FPState.MxcsrOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(state[FPState.MxcsrOffset..], mxcsr & 0xffff);
        return null;
    }

    private static ulong QueryXFeatures()
    {
        if (!X86Base.IsSupported || X86Base.CpuId(0, 0).Eax < 0xD || FPState.HostSize <= FPState.MinimumSize)
        {
            return 0x3;
        }
        (int eax, _, _, int edx) = X86Base.CpuId(0xD, 0);
        ulong supported = (uint)eax | ((ulong)(uint)edx << 32);
        // The components whose area fits the enabled size (those XCR0 enables, as far as CPUID tells).
        ulong enabled = 0x3;
        for (int component = 2; component < 63; component++)
        {
            if ((supported & (1UL << component)) == 0)
            {
                continue;
            }
            (int size, int offset, _, _) = X86Base.CpuId(0xD, component);
            if (size > 0 && offset > 0 && offset + size <= FPState.HostSize)
            {
                enabled |= 1UL << component;
            }
        }
        return enabled;
    }
}
