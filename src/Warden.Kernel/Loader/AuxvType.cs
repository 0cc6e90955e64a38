namespace Warden.Kernel.Loader;

/// <summary>The auxiliary-vector entry types the loader writes (Linux's <c>include/uapi/linux/auxvec.h</c> and x86's <c>asm/auxvec.h</c>).</summary>
public static class AuxvType
{
    /// <summary>End of the vector.</summary>
    public const ulong AT_NULL = 0;

    /// <summary>The program headers' address in memory.</summary>
    public const ulong AT_PHDR = 3;

    /// <summary>The size of one program header.</summary>
    public const ulong AT_PHENT = 4;

    /// <summary>The number of program headers.</summary>
    public const ulong AT_PHNUM = 5;

    /// <summary>The page size.</summary>
    public const ulong AT_PAGESZ = 6;

    /// <summary>The interpreter's load address (0 without one).</summary>
    public const ulong AT_BASE = 7;

    /// <summary>Flags (0).</summary>
    public const ulong AT_FLAGS = 8;

    /// <summary>The program's entry point.</summary>
    public const ulong AT_ENTRY = 9;

    /// <summary>The real user ID.</summary>
    public const ulong AT_UID = 11;

    /// <summary>The effective user ID.</summary>
    public const ulong AT_EUID = 12;

    /// <summary>The real group ID.</summary>
    public const ulong AT_GID = 13;

    /// <summary>The effective group ID.</summary>
    public const ulong AT_EGID = 14;

    /// <summary>The address of the platform string ("x86_64").</summary>
    public const ulong AT_PLATFORM = 15;

    /// <summary>The CPU's feature bits (CPUID.1:EDX on x86).</summary>
    public const ulong AT_HWCAP = 16;

    /// <summary>The clock tick rate times() counts in.</summary>
    public const ulong AT_CLKTCK = 17;

    /// <summary>Whether the program runs with elevated privileges (secure mode).</summary>
    public const ulong AT_SECURE = 23;

    /// <summary>The address of 16 random bytes.</summary>
    public const ulong AT_RANDOM = 25;

    /// <summary>More CPU feature bits.</summary>
    public const ulong AT_HWCAP2 = 26;

    /// <summary>The address of the file name given to execve.</summary>
    public const ulong AT_EXECFN = 31;

    /// <summary>The vDSO's ELF header (not given: Warden maps no vDSO).</summary>
    public const ulong AT_SYSINFO_EHDR = 33;

    /// <summary>The smallest signal stack the kernel's signal frame fits in.</summary>
    public const ulong AT_MINSIGSTKSZ = 51;
}
