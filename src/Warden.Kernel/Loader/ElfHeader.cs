using System.Buffers.Binary;
using Warden.Errors;

namespace Warden.Kernel.Loader;

/// <summary>The fields of an <c>Elf64_Ehdr</c> the loader uses, read from the file's first bytes.</summary>
internal readonly record struct ElfHeader(
    byte Class, byte Data, byte IdentVersion, ushort Type, ushort Machine, uint Version,
    ulong Entry, ulong PhOff, ushort PhEntSize, ushort PhNum)
{
    /// <summary>Whether <paramref name="prefix"/> starts with the ELF magic (the test that picks this format).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> prefix) => prefix.StartsWith(Elf64.Magic);

    /// <summary>
    /// Reads the header from <paramref name="prefix"/>, the file's first bytes zero-padded to at
    /// least <see cref="Elf64.EhdrSize"/> (so a truncated file reads as zero fields, as Linux's
    /// zeroed buffer does).
    /// </summary>
    /// <remarks><b>Precondition:</b> <c>prefix.Length &gt;= 64</c>.</remarks>
    public static ElfHeader Read(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length < Elf64.EhdrSize)
        {
            ThrowHelper.ThrowArgument(nameof(prefix), "An ELF header needs {0} bytes, got {1}.", Elf64.EhdrSize, prefix.Length);
        }
        return new ElfHeader(
            Class: prefix[Elf64.EI_CLASS],
            Data: prefix[Elf64.EI_DATA],
            IdentVersion: prefix[Elf64.EI_VERSION],
            Type: BinaryPrimitives.ReadUInt16LittleEndian(prefix[16..]),
            Machine: BinaryPrimitives.ReadUInt16LittleEndian(prefix[18..]),
            Version: BinaryPrimitives.ReadUInt32LittleEndian(prefix[20..]),
            Entry: BinaryPrimitives.ReadUInt64LittleEndian(prefix[24..]),
            PhOff: BinaryPrimitives.ReadUInt64LittleEndian(prefix[32..]),
            PhEntSize: BinaryPrimitives.ReadUInt16LittleEndian(prefix[54..]),
            PhNum: BinaryPrimitives.ReadUInt16LittleEndian(prefix[56..]));
    }

    /// <summary>
    /// Checks the identification and the program-header table's shape; ENOEXEC for anything that
    /// is not a little-endian ELF64 x86-64 executable or static PIE with 1 to 73 program headers.
    /// </summary>
    /// <remarks>
    /// Linux's load_elf_binary checks the type, the machine, e_phentsize and the table's size; the
    /// class, data encoding and versions are checked here too (as gVisor does): Linux would misread
    /// such a file rather than run it.
    /// </remarks>
    public Error? Validate()
    {
        if (Class != Elf64.ELFCLASS64)
        {
            return new KernelError(Errno.ENOEXEC, $"not a 64-bit ELF file (EI_CLASS {Class})");
        }
        if (Data != Elf64.ELFDATA2LSB)
        {
            return new KernelError(Errno.ENOEXEC, $"not a little-endian ELF file (EI_DATA {Data})");
        }
        if (IdentVersion != Elf64.EV_CURRENT || Version != Elf64.EV_CURRENT)
        {
            return new KernelError(Errno.ENOEXEC, $"unknown ELF version (EI_VERSION {IdentVersion}, e_version {Version})");
        }
        if (Type is not (Elf64.ET_EXEC or Elf64.ET_DYN))
        {
            return new KernelError(Errno.ENOEXEC, $"not an executable (e_type {Type})");
        }
        if (Machine != Elf64.EM_X86_64)
        {
            return new KernelError(Errno.ENOEXEC, $"not an x86-64 program (e_machine {Machine})");
        }
        if (PhEntSize != Elf64.PhdrSize)
        {
            return new KernelError(Errno.ENOEXEC, $"program headers of {PhEntSize} bytes (x86-64 has {Elf64.PhdrSize})");
        }
        int tableSize = PhNum * Elf64.PhdrSize;
        if (tableSize == 0 || tableSize > Elf64.MaxPhdrBytes)
        {
            return new KernelError(Errno.ENOEXEC, $"{PhNum} program headers (1 to {Elf64.MaxPhdrBytes / Elf64.PhdrSize} are accepted)");
        }
        return null;
    }
}
