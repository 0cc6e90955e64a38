namespace Warden.Kernel.Loader;

/// <summary>
/// The ELF64 constants the loader reads (values from the System V ABI and Linux's
/// <c>include/uapi/linux/elf.h</c>), with their native names.
/// </summary>
internal static class Elf64
{
    /// <summary>The size of <c>Elf64_Ehdr</c>.</summary>
    public const int EhdrSize = 64;

    /// <summary>The size of <c>Elf64_Phdr</c>: the only e_phentsize Linux accepts.</summary>
    public const int PhdrSize = 56;

    /// <summary>
    /// The most bytes of program headers Linux reads (ELF_MIN_ALIGN, one page on x86-64): at most 73 headers.
    /// </summary>
    public const int MaxPhdrBytes = 4096;

    /// <summary>The file's first four bytes: 0x7f 'E' 'L' 'F'.</summary>
    public static ReadOnlySpan<byte> Magic => [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    public const int EI_CLASS = 4;
    public const int EI_DATA = 5;
    public const int EI_VERSION = 6;

    public const byte ELFCLASS64 = 2;
    public const byte ELFDATA2LSB = 1;
    public const byte EV_CURRENT = 1;

    public const ushort ET_EXEC = 2;
    public const ushort ET_DYN = 3;

    public const ushort EM_X86_64 = 62;

    public const uint PT_LOAD = 1;
    public const uint PT_INTERP = 3;
    public const uint PT_GNU_STACK = 0x6474e551;

    public const uint PF_X = 1;
    public const uint PF_W = 2;
    public const uint PF_R = 4;

    /// <summary>Linux's PATH_MAX: the longest PT_INTERP Linux reads, NUL included.</summary>
    public const int PathMax = 4096;
}
