using System.Buffers.Binary;
using Warden.HostArch;

namespace Warden.Kernel.Loader;

/// <summary>An <c>Elf64_Phdr</c>.</summary>
internal readonly record struct ElfProgramHeader(
    uint Type, uint Flags, ulong Offset, ulong Vaddr, ulong Filesz, ulong Memsz, ulong Align)
{
    /// <summary>Reads the header at the start of <paramref name="bytes"/> (at least <see cref="Elf64.PhdrSize"/> bytes).</summary>
    public static ElfProgramHeader Read(ReadOnlySpan<byte> bytes) => new(
        Type: BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        Flags: BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
        Offset: BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
        Vaddr: BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
        // p_paddr (at 24) is unused.
        Filesz: BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]),
        Memsz: BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]),
        Align: BinaryPrimitives.ReadUInt64LittleEndian(bytes[48..]));

    /// <summary>The mmap protection the segment asks for (PF_R, PF_W, PF_X as PROT_READ, PROT_WRITE, PROT_EXEC).</summary>
    public int Prot =>
        ((Flags & Elf64.PF_R) != 0 ? LinuxMman.PROT_READ : 0) |
        ((Flags & Elf64.PF_W) != 0 ? LinuxMman.PROT_WRITE : 0) |
        ((Flags & Elf64.PF_X) != 0 ? LinuxMman.PROT_EXEC : 0);
}
