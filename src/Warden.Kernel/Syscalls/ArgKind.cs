namespace Warden.Kernel.Syscalls;

/// <summary>How <c>--strace</c> shows an argument (and how the argument is typed in Linux's prototype).</summary>
internal enum ArgKind : byte
{
    /// <summary>A signed integer.</summary>
    Int,

    /// <summary>An unsigned integer, in hexadecimal (addresses, lengths of mappings, masks).</summary>
    Hex,

    /// <summary>A file descriptor (<c>AT_FDCWD</c> shown by name).</summary>
    Fd,

    /// <summary>A NUL-terminated path in application memory, shown quoted.</summary>
    FilePath,

    /// <summary>A buffer the call reads, whose length is the next argument: shown quoted.</summary>
    InBuffer,

    /// <summary>A buffer the call fills, as many bytes as it returns: shown quoted after the call.</summary>
    OutBuffer,

    /// <summary>A pointer to a structure: shown as an address.</summary>
    Pointer,

    /// <summary>A mode, in octal.</summary>
    Octal,

    /// <summary><c>O_*</c> open flags.</summary>
    OpenFlags,

    /// <summary><c>PROT_*</c> flags.</summary>
    Prot,

    /// <summary><c>MAP_*</c> flags.</summary>
    MapFlags,

    /// <summary>A signal number.</summary>
    Signal,

    /// <summary>A length or count (unsigned, decimal).</summary>
    Size,
}
