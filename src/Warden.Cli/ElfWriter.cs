using System.Buffers.Binary;

namespace Warden.Cli;

/// <summary>
/// Writes the simplest static x86-64 ELF executable: one read-and-execute segment holding the
/// headers and the code right after them, loaded at a fixed address, and a non-executable stack.
/// </summary>
internal static class ElfWriter
{
    /// <summary>The ELF header's size.</summary>
    public const int ElfHeaderSize = 64;

    /// <summary>A program header's size.</summary>
    public const int ProgramHeaderSize = 56;

    /// <summary>The program headers written: PT_LOAD and PT_GNU_STACK.</summary>
    public const int ProgramHeaderCount = 2;

    /// <summary>Where the code starts in the file (and, past the load address, in memory).</summary>
    public const int CodeOffset = ElfHeaderSize + ProgramHeaderSize * ProgramHeaderCount;

    private const ushort ET_EXEC = 2;
    private const ushort EM_X86_64 = 62;
    private const uint PT_LOAD = 1;
    private const uint PT_GNU_STACK = 0x6474e551;
    private const uint PF_X = 1, PF_W = 2, PF_R = 4;
    private const ulong PageSize = 4096;

    /// <summary>The executable whose file is loaded at <paramref name="loadAddress"/> and which starts at its first code byte.</summary>
    /// <param name="loadAddress">Where the file's first byte is mapped: page-aligned.</param>
    /// <param name="code">Code assembled for <c>loadAddress + CodeOffset</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="loadAddress"/> is not page-aligned.</exception>
    public static byte[] Write(ulong loadAddress, ReadOnlySpan<byte> code)
    {
        if (loadAddress % PageSize != 0)
        {
            throw new ArgumentException("The load address must be page-aligned.", nameof(loadAddress));
        }
        var file = new byte[CodeOffset + code.Length];
        Span<byte> h = file;
        // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV.
        h[0] = 0x7f;
        h[1] = (byte)'E';
        h[2] = (byte)'L';
        h[3] = (byte)'F';
        h[4] = 2;
        h[5] = 1;
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], ET_EXEC);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], EM_X86_64);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], loadAddress + CodeOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], ProgramHeaderCount);

        WriteProgramHeader(h[ElfHeaderSize..], PT_LOAD, PF_R | PF_X, 0, loadAddress, (ulong)file.Length, PageSize);
        WriteProgramHeader(h[(ElfHeaderSize + ProgramHeaderSize)..], PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 16);
        code.CopyTo(h[CodeOffset..]);
        return file;
    }

    private static void WriteProgramHeader(Span<byte> p, uint type, uint flags, ulong offset, ulong address, ulong size, ulong align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p, type);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(p[32..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[40..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[48..], align);
    }
}
