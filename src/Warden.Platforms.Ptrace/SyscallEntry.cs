namespace Warden.Platforms.Ptrace;

/// <summary>One system call for a stub thread to make on Warden's behalf: its number and arguments.</summary>
internal struct SyscallEntry
{
    /// <summary><c>mmap</c>.</summary>
    public const ulong SysMmap = 9;

    /// <summary><c>munmap</c>.</summary>
    public const ulong SysMunmap = 11;

    /// <summary><c>openat</c>.</summary>
    public const ulong SysOpenat = 257;

    // mmap's MAP_FIXED flag.
    private const ulong MapFixed = 0x10;

    /// <summary>The system call number.</summary>
    public ulong Number;

    /// <summary>The first argument.</summary>
    public ulong Arg0;

    /// <summary>The second argument.</summary>
    public ulong Arg1;

    /// <summary>The third argument.</summary>
    public ulong Arg2;

    /// <summary>The fourth argument.</summary>
    public ulong Arg3;

    /// <summary>The fifth argument.</summary>
    public ulong Arg4;

    /// <summary>The sixth argument.</summary>
    public ulong Arg5;

    /// <summary>Creates an entry.</summary>
    public SyscallEntry(ulong number, ulong arg0 = 0, ulong arg1 = 0, ulong arg2 = 0, ulong arg3 = 0, ulong arg4 = 0, ulong arg5 = 0)
    {
        Number = number;
        Arg0 = arg0;
        Arg1 = arg1;
        Arg2 = arg2;
        Arg3 = arg3;
        Arg4 = arg4;
        Arg5 = arg5;
    }

    /// <summary>
    /// Whether this call, if it succeeds, leaves nothing of what the <c>munmap</c> in
    /// <paramref name="unmap"/> would have left: it is a <c>MAP_FIXED</c> <c>mmap</c> whose range
    /// covers the unmapped one (which it replaces, whatever was mapped there).
    /// </summary>
    public readonly bool Replaces(in SyscallEntry unmap) =>
        Number == SysMmap && (Arg3 & MapFixed) != 0 && unmap.Number == SysMunmap &&
        Arg0 <= unmap.Arg0 && unmap.Arg0 + unmap.Arg1 <= Arg0 + Arg1;
}
