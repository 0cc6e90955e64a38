using System.Buffers.Binary;
using System.Security.Cryptography;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.UserMem;

namespace Warden.Kernel.Loader;

/// <summary>What the program's first stack frame holds besides the strings: the auxv values that are not addresses on the stack.</summary>
/// <param name="Entry">AT_ENTRY.</param>
/// <param name="PhdrAddress">AT_PHDR.</param>
/// <param name="PhNum">AT_PHNUM.</param>
/// <param name="Options">AT_UID, AT_EUID, AT_GID, AT_EGID, and the stack's random shift.</param>
internal readonly record struct ProgramInfo(ulong Entry, ulong PhdrAddress, ulong PhNum, LoaderOptions Options);

/// <summary>Where <see cref="InitialStack.Write"/> put things.</summary>
internal readonly record struct StackLayout(ulong StackPointer, byte[] Auxv, ulong ArgvStart, ulong ArgvEnd, ulong EnvpStart, ulong EnvpEnd);

/// <summary>
/// Writes a new program's initial stack as Linux's execve (copy_strings) and create_elf_tables
/// lay it out, from the top of the stack mapping down:
/// <code>
///   8 bytes left free at the very top
///   the file name given to execve (AT_EXECFN)
///   the environment strings, then below them the argument strings (argv[0] lowest)
///   a random shift of less than 8 KiB, then alignment to 16 bytes
///   "x86_64\0" (AT_PLATFORM)
///   16 random bytes (AT_RANDOM)
///   padding so that rsp is 16-byte aligned
///   auxv pairs ending with AT_NULL
///   envp[] pointers, NULL
///   argv[] pointers, NULL
///   argc                                   &lt;- rsp
/// </code>
/// </summary>
internal static class InitialStack
{
    private const string Platform = "x86_64";

    // Linux's arch_align_stack shifts the stack pointer down by up to this much.
    private const int MaxRandomShift = 8192;

    /// <summary>
    /// Lays out and writes the stack in <paramref name="stack"/> (as mapped by
    /// <see cref="MemoryManager.MapStack"/>), growing it down if the strings need more room.
    /// </summary>
    /// <returns>The layout, or the error that stopped the stack from growing or being written.</returns>
    public static (StackLayout Layout, Error? Error) Write(
        IContext ctx, MemoryManager mm, AddrRange stack, byte[] execFn, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> envp, ProgramInfo info, Random random)
    {
        ulong top = stack.End.Value - 8;
        ulong p = top - ((ulong)execFn.Length + 1);
        ulong execFnAddr = p;
        ulong envpEnd = p;
        p -= StringsSize(envp);
        ulong envpStart = p;
        ulong argvEnd = p;
        p -= StringsSize(argv);
        ulong argvStart = p;

        p -= (ulong)random.Next(MaxRandomShift);
        p &= ~15UL;
        p -= (ulong)Platform.Length + 1;
        ulong platformAddr = p;
        p -= 16;
        ulong randomAddr = p;

        ulong[] auxv =
        [
            AuxvType.AT_MINSIGSTKSZ, HostAuxv.MinSigStackSize,
            AuxvType.AT_HWCAP, HostAuxv.HwCap,
            AuxvType.AT_PAGESZ, Arch.PageSize,
            AuxvType.AT_CLKTCK, 100,
            AuxvType.AT_PHDR, info.PhdrAddress,
            AuxvType.AT_PHENT, Elf64.PhdrSize,
            AuxvType.AT_PHNUM, info.PhNum,
            AuxvType.AT_BASE, 0,
            AuxvType.AT_FLAGS, 0,
            AuxvType.AT_ENTRY, info.Entry,
            AuxvType.AT_UID, info.Options.Uid,
            AuxvType.AT_EUID, info.Options.Euid,
            AuxvType.AT_GID, info.Options.Gid,
            AuxvType.AT_EGID, info.Options.Egid,
            AuxvType.AT_SECURE, 0,
            AuxvType.AT_RANDOM, randomAddr,
            AuxvType.AT_HWCAP2, HostAuxv.HwCap2,
            AuxvType.AT_EXECFN, execFnAddr,
            AuxvType.AT_PLATFORM, platformAddr,
            AuxvType.AT_NULL, 0,
        ];
        ulong words = (ulong)argv.Count + 1 + (ulong)envp.Count + 1 + 1;
        ulong sp = (p - (ulong)auxv.Length * 8 - words * 8) & ~15UL;
        if (sp > top || top - sp > int.MaxValue)
        {
            return (default, Errno.ENOMEM);
        }

        if (sp < stack.Start.Value)
        {
            Error? growError = mm.HandleUserFault(ctx, (Addr)sp, AccessType.ReadWrite, (Addr)sp);
            if (growError is not null)
            {
                return (default, growError);
            }
        }

        // Everything from rsp to the top goes out in one copy; the gaps are zero, as in a new stack.
        var frame = new byte[top - sp];
        Span<byte> f = frame;
        int at = 0;
        WriteWord(f, ref at, (ulong)argv.Count);
        ulong s = argvStart;
        foreach (byte[] arg in argv)
        {
            WriteWord(f, ref at, s);
            s += (ulong)arg.Length + 1;
        }
        WriteWord(f, ref at, 0);
        foreach (byte[] env in envp)
        {
            WriteWord(f, ref at, s);
            s += (ulong)env.Length + 1;
        }
        WriteWord(f, ref at, 0);
        var auxvBytes = new byte[auxv.Length * 8];
        for (int i = 0; i < auxv.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(auxvBytes.AsSpan(i * 8), auxv[i]);
        }
        auxvBytes.CopyTo(f[at..]);

        RandomNumberGenerator.Fill(f.Slice((int)(randomAddr - sp), 16));
        System.Text.Encoding.ASCII.GetBytes(Platform, f[(int)(platformAddr - sp)..]);
        at = (int)(argvStart - sp);
        foreach (byte[] arg in argv)
        {
            CopyString(f, ref at, arg);
        }
        foreach (byte[] env in envp)
        {
            CopyString(f, ref at, env);
        }
        CopyString(f, ref at, execFn);

        (int n, Error? error) = mm.CopyOut(ctx, (Addr)sp, frame, default);
        if (error is not null || n != frame.Length)
        {
            return (default, error ?? Errno.EFAULT);
        }
        return (new StackLayout(sp, auxvBytes, argvStart, argvEnd, envpStart, envpEnd), null);
    }

    private static ulong StringsSize(IReadOnlyList<byte[]> strings)
    {
        ulong size = 0;
        foreach (byte[] s in strings)
        {
            size += (ulong)s.Length + 1;
        }
        return size;
    }

    private static void WriteWord(Span<byte> frame, ref int at, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(frame[at..], value);
        at += 8;
    }

    private static void CopyString(Span<byte> frame, ref int at, byte[] s)
    {
        s.CopyTo(frame[at..]);
        at += s.Length + 1;
    }
}
