using System.Globalization;
using System.Text;
using Warden.HostArch;
using Warden.Mm;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// One step of an oracle sequence: a memory system call with Linux's raw arguments, or a write or read
/// of the kind a system call makes (copy_to_user / copy_from_user). Addresses are those of the
/// sequence's canonical <see cref="OracleWindow"/>; a target in another window shifts them.
/// </summary>
public abstract record OracleOp
{
    private OracleOp()
    {
    }

    /// <summary><c>mmap(addr, len, prot, flags, -1, 0)</c>; <c>MAP_ANONYMOUS</c> is in <see cref="Flags"/> when the generator chose it.</summary>
    public sealed record Mmap(ulong Addr, ulong Len, int Prot, int Flags) : OracleOp
    {
        /// <summary>Whether the kernel chooses the address (no MAP_FIXED, no MAP_FIXED_NOREPLACE).</summary>
        public bool PlacedByPolicy => (Flags & (LinuxMman.MAP_FIXED | LinuxMman.MAP_FIXED_NOREPLACE)) == 0;

        public override string ToString() => $"mmap(0x{Addr:x}, 0x{Len:x}, {ProtText(Prot)}, {MapFlagsText(Flags)})";
    }

    /// <summary><c>munmap(addr, len)</c>.</summary>
    public sealed record Munmap(ulong Addr, ulong Len) : OracleOp
    {
        public override string ToString() => $"munmap(0x{Addr:x}, 0x{Len:x})";
    }

    /// <summary><c>mprotect(addr, len, prot)</c>.</summary>
    public sealed record Mprotect(ulong Addr, ulong Len, int Prot) : OracleOp
    {
        public override string ToString() => $"mprotect(0x{Addr:x}, 0x{Len:x}, {ProtText(Prot)})";
    }

    /// <summary><c>mremap(old, oldLen, newLen, flags, newAddr)</c>.</summary>
    public sealed record Mremap(ulong Old, ulong OldLen, ulong NewLen, int Flags, ulong NewAddr) : OracleOp
    {
        /// <summary>Whether a move, if the kernel makes one, goes where the kernel chooses (MAYMOVE without FIXED).</summary>
        public bool PlacedByPolicy => (Flags & LinuxMman.MREMAP_MAYMOVE) != 0 && (Flags & LinuxMman.MREMAP_FIXED) == 0;

        public override string ToString() => $"mremap(0x{Old:x}, 0x{OldLen:x}, 0x{NewLen:x}, {MremapFlagsText(Flags)}, 0x{NewAddr:x})";
    }

    /// <summary><c>madvise(addr, len, advice)</c>.</summary>
    public sealed record Madvise(ulong Addr, ulong Len, int Advice) : OracleOp
    {
        public override string ToString() => $"madvise(0x{Addr:x}, 0x{Len:x}, {AdviceText(Advice)})";
    }

    /// <summary><c>brk(addr)</c> (raw system call: returns the new or unchanged break).</summary>
    public sealed record Brk(ulong Addr) : OracleOp
    {
        public override string ToString() => $"brk(0x{Addr:x})";
    }

    /// <summary><c>mincore(addr, len, vector)</c>: the vector is compared too when both succeed.</summary>
    public sealed record Mincore(ulong Addr, ulong Len) : OracleOp
    {
        public override string ToString() => $"mincore(0x{Addr:x}, 0x{Len:x})";
    }

    /// <summary><c>mlock(addr, len)</c> for flags 0, else <c>mlock2(addr, len, flags)</c>.</summary>
    public sealed record Mlock(ulong Addr, ulong Len, int Flags) : OracleOp
    {
        public override string ToString() => Flags == 0 ? $"mlock(0x{Addr:x}, 0x{Len:x})" : $"mlock2(0x{Addr:x}, 0x{Len:x}, {(Flags == LinuxMman.MLOCK_ONFAULT ? "MLOCK_ONFAULT" : $"0x{Flags:x}")})";
    }

    /// <summary><c>munlock(addr, len)</c>.</summary>
    public sealed record Munlock(ulong Addr, ulong Len) : OracleOp
    {
        public override string ToString() => $"munlock(0x{Addr:x}, 0x{Len:x})";
    }

    /// <summary><c>mlockall(flags)</c> (child targets only).</summary>
    public sealed record Mlockall(int Flags) : OracleOp
    {
        public override string ToString() => Flags == 0 ? "mlockall(0)" : $"mlockall({FlagText(Flags, [(LinuxMman.MCL_CURRENT, "MCL_CURRENT"), (LinuxMman.MCL_FUTURE, "MCL_FUTURE"), (LinuxMman.MCL_ONFAULT, "MCL_ONFAULT")])})";
    }

    /// <summary>
    /// <c>fork()</c> (child targets only): the forked child makes <see cref="ChildWrite"/> (a system
    /// call's write in its own address space) and waits for <see cref="ForkEnd"/>; the ops between
    /// act on the parent.
    /// </summary>
    public sealed record Fork(Write ChildWrite) : OracleOp
    {
        public override string ToString() => $"fork(), the child: {ChildWrite}";
    }

    /// <summary>The forked child's pages are compared (their contents, or that they are unmapped), and it exits.</summary>
    public sealed record ForkEnd : OracleOp
    {
        public override string ToString() => "the forked child's pages compared, and it exits";
    }

    /// <summary><c>munlockall()</c> (child targets only).</summary>
    public sealed record Munlockall : OracleOp
    {
        public override string ToString() => "munlockall()";
    }

    /// <summary>A system call's write of <see cref="Len"/> bytes (pattern from <see cref="SeedByte"/>) at <see cref="Addr"/>.</summary>
    public sealed record Write(ulong Addr, ulong Len, byte SeedByte) : OracleOp
    {
        /// <summary>The bytes written: a pattern that differs per position and per op.</summary>
        public byte[] Data()
        {
            var data = new byte[checked((int)Len)];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(SeedByte + (i * 7) + (i >> 8));
            }
            return data;
        }

        public override string ToString() => $"write(0x{Addr:x}, 0x{Len:x}, seed 0x{SeedByte:x2})";
    }

    /// <summary>A system call's read of <see cref="Len"/> bytes at <see cref="Addr"/>.</summary>
    public sealed record Read(ulong Addr, ulong Len) : OracleOp
    {
        public override string ToString() => $"read(0x{Addr:x}, 0x{Len:x})";
    }

    /// <summary>Prints <paramref name="ops"/> one per line, numbered, as a failing seed's report shows them.</summary>
    public static string ListText(IReadOnlyList<OracleOp> ops, int upTo)
    {
        var text = new StringBuilder();
        for (int i = 0; i <= upTo && i < ops.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  [{i,3}] {ops[i]}\n");
        }
        return text.ToString();
    }

    internal static string ProtText(int prot)
    {
        if (prot == 0)
        {
            return "PROT_NONE";
        }
        return FlagText(prot,
        [
            (LinuxMman.PROT_READ, "PROT_READ"), (LinuxMman.PROT_WRITE, "PROT_WRITE"), (LinuxMman.PROT_EXEC, "PROT_EXEC"),
            (LinuxMman.PROT_SEM, "PROT_SEM"), (LinuxMman.PROT_GROWSDOWN, "PROT_GROWSDOWN"), (LinuxMman.PROT_GROWSUP, "PROT_GROWSUP"),
        ]);
    }

    internal static string MapFlagsText(int flags)
    {
        string type = (flags & LinuxMman.MAP_TYPE) switch
        {
            LinuxMman.MAP_SHARED => "MAP_SHARED",
            LinuxMman.MAP_PRIVATE => "MAP_PRIVATE",
            LinuxMman.MAP_SHARED_VALIDATE => "MAP_SHARED_VALIDATE",
            int t => $"type 0x{t:x}",
        };
        int rest = flags & ~LinuxMman.MAP_TYPE;
        return rest == 0 ? type : type + "|" + FlagText(rest,
        [
            (LinuxMman.MAP_FIXED, "MAP_FIXED"), (LinuxMman.MAP_ANONYMOUS, "MAP_ANONYMOUS"), (LinuxMman.MAP_GROWSDOWN, "MAP_GROWSDOWN"),
            (LinuxMman.MAP_NORESERVE, "MAP_NORESERVE"), (LinuxMman.MAP_POPULATE, "MAP_POPULATE"), (LinuxMman.MAP_NONBLOCK, "MAP_NONBLOCK"),
            (LinuxMman.MAP_STACK, "MAP_STACK"), (LinuxMman.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
        ]);
    }

    internal static string MremapFlagsText(int flags) => flags == 0 ? "0" : FlagText(flags,
    [
        (LinuxMman.MREMAP_MAYMOVE, "MREMAP_MAYMOVE"), (LinuxMman.MREMAP_FIXED, "MREMAP_FIXED"), (LinuxMman.MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"),
    ]);

    internal static string AdviceText(int advice) => advice switch
    {
        LinuxMman.MADV_NORMAL => "MADV_NORMAL",
        LinuxMman.MADV_RANDOM => "MADV_RANDOM",
        LinuxMman.MADV_SEQUENTIAL => "MADV_SEQUENTIAL",
        LinuxMman.MADV_WILLNEED => "MADV_WILLNEED",
        LinuxMman.MADV_DONTNEED => "MADV_DONTNEED",
        LinuxMman.MADV_REMOVE => "MADV_REMOVE",
        LinuxMman.MADV_DONTFORK => "MADV_DONTFORK",
        LinuxMman.MADV_DOFORK => "MADV_DOFORK",
        LinuxMman.MADV_FREE => "MADV_FREE",
        LinuxMman.MADV_POPULATE_READ => "MADV_POPULATE_READ",
        LinuxMman.MADV_POPULATE_WRITE => "MADV_POPULATE_WRITE",
        _ => advice.ToString(CultureInfo.InvariantCulture),
    };

    private static string FlagText(int value, (int Bit, string Name)[] names)
    {
        var parts = new List<string>();
        foreach ((int bit, string name) in names)
        {
            if ((value & bit) == bit && bit != 0)
            {
                parts.Add(name);
                value &= ~bit;
            }
        }
        if (value != 0)
        {
            parts.Add($"0x{value:x}");
        }
        return string.Join('|', parts);
    }
}
