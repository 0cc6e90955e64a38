using System.Buffers.Binary;

namespace Warden.Tests.Kernel.Loader;

/// <summary>A program header as the test writes it (every field explicit).</summary>
internal sealed record Phdr(uint Type, uint Flags, ulong Offset, ulong Vaddr, ulong Filesz, ulong Memsz, ulong Align = 0x1000);

/// <summary>
/// Writes ELF64 files for the loader's tests: the header, the program-header table at
/// <see cref="PhOff"/>, and byte blobs at chosen file offsets. Every field can be set to anything,
/// valid or not; nothing is computed behind the test's back except e_phnum (unless set).
/// </summary>
internal sealed class ElfBuilder
{
    public const uint PT_NULL = 0, PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
    public const uint PF_X = 1, PF_W = 2, PF_R = 4;
    public const ushort ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
    public const ushort EM_386 = 3, EM_X86_64 = 62;

    /// <summary>x86-64 Linux's TASK_SIZE.</summary>
    public const ulong TaskSize = 0x7fff_ffff_f000;

    public byte[] Magic { get; set; } = [0x7f, (byte)'E', (byte)'L', (byte)'F'];
    public byte Class { get; set; } = 2;
    public byte Data { get; set; } = 1;
    public byte IdentVersion { get; set; } = 1;
    public ushort Type { get; set; } = ET_EXEC;
    public ushort Machine { get; set; } = EM_X86_64;
    public uint Version { get; set; } = 1;
    public ulong Entry { get; set; }
    public ulong PhOff { get; set; } = 64;
    public ushort PhEntSize { get; set; } = 56;
    public ushort? PhNum { get; set; }
    public List<Phdr> Phdrs { get; } = [];
    public List<(ulong Offset, byte[] Bytes)> Blobs { get; } = [];

    /// <summary>The file's length; <see langword="null"/> ends it after the last header or blob.</summary>
    public ulong? FileLength { get; set; }

    public ElfBuilder Add(Phdr phdr)
    {
        Phdrs.Add(phdr);
        return this;
    }

    public ElfBuilder Put(ulong offset, byte[] bytes)
    {
        Blobs.Add((offset, bytes));
        return this;
    }

    public byte[] Build()
    {
        ulong end = Math.Max(64, PhOff + (ulong)(Phdrs.Count * 56));
        foreach ((ulong offset, byte[] bytes) in Blobs)
        {
            end = Math.Max(end, offset + (ulong)bytes.Length);
        }
        var file = new byte[FileLength ?? end];
        var span = file.AsSpan();
        var header = new byte[64];
        Magic.AsSpan(0, Math.Min(Magic.Length, 4)).CopyTo(header);
        header[4] = Class;
        header[5] = Data;
        header[6] = IdentVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(16), Type);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(18), Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), Version);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(32), PhOff);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(54), PhEntSize);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(56), PhNum ?? (ushort)Phdrs.Count);
        CopyClipped(span, 0, header);

        var table = new byte[Phdrs.Count * 56];
        for (int i = 0; i < Phdrs.Count; i++)
        {
            Phdr p = Phdrs[i];
            Span<byte> e = table.AsSpan(i * 56, 56);
            BinaryPrimitives.WriteUInt32LittleEndian(e, p.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], p.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], p.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], p.Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(e[24..], p.Vaddr);
            BinaryPrimitives.WriteUInt64LittleEndian(e[32..], p.Filesz);
            BinaryPrimitives.WriteUInt64LittleEndian(e[40..], p.Memsz);
            BinaryPrimitives.WriteUInt64LittleEndian(e[48..], p.Align);
        }
        CopyClipped(span, PhOff, table);
        foreach ((ulong offset, byte[] bytes) in Blobs)
        {
            CopyClipped(span, offset, bytes);
        }
        return file;
    }

    private static void CopyClipped(Span<byte> file, ulong offset, byte[] bytes)
    {
        if (offset >= (ulong)file.Length)
        {
            return;
        }
        int n = (int)Math.Min((ulong)bytes.Length, (ulong)file.Length - offset);
        bytes.AsSpan(0, n).CopyTo(file[(int)offset..]);
    }

    // The code the standard images carry: `mov eax, 60; xor edi, edi; syscall` (exit(0)), never run here.
    public static readonly byte[] Code = [0xb8, 0x3c, 0x00, 0x00, 0x00, 0x31, 0xff, 0x0f, 0x05];

    /// <summary>The data segment's initialised bytes in <see cref="Standard"/>.</summary>
    public static byte[] DataBytes { get; } = Enumerable.Range(1, 0x30).Select(i => (byte)i).ToArray();

    /// <summary>What fills the file around the data segment's bytes (must not show through where Linux gives zeros).</summary>
    public const byte Filler = 0xee;

    /// <summary>
    /// A typical static executable (ET_EXEC), or with <paramref name="pie"/> a static PIE linked at 0:
    /// <list type="bullet">
    /// <item>text: R-X, file [0, 0x1000 + code) at base + 0 (it holds the headers, so AT_PHDR is base + 0x40), entry base + 0x1000;</item>
    /// <item>data: RW-, file [0x2010, 0x2040) at base + 0x202010, memsz 0x3000 (bss to base + 0x205010); the rest of file page 0x2000 is <see cref="Filler"/>;</item>
    /// <item>PT_GNU_STACK RW-.</item>
    /// </list>
    /// </summary>
    public static ElfBuilder Standard(bool pie = false)
    {
        ulong baseAddr = pie ? 0UL : 0x400000UL;
        var b = new ElfBuilder { Type = pie ? ET_DYN : ET_EXEC, Entry = baseAddr + 0x1000 };
        b.Add(new Phdr(PT_LOAD, PF_R | PF_X, 0, baseAddr, 0x1000 + (ulong)Code.Length, 0x1000 + (ulong)Code.Length));
        b.Add(new Phdr(PT_LOAD, PF_R | PF_W, 0x2010, baseAddr + 0x202010, (ulong)DataBytes.Length, 0x3000));
        b.Add(new Phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
        b.Put(0x1000, Code);
        b.Put(0x2000, Enumerable.Repeat(Filler, 0x1000).ToArray());
        b.Put(0x2010, DataBytes);
        return b;
    }

    /// <summary>The ith program header of <see cref="Standard"/>, replaced.</summary>
    public ElfBuilder With(int index, Func<Phdr, Phdr> change)
    {
        Phdrs[index] = change(Phdrs[index]);
        return this;
    }
}
