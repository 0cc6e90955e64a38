using Warden.HostArch;

namespace Warden.Kernel.Loader;

/// <summary>
/// What the kernel needs after <see cref="ProgramLoader.Load"/> succeeded: where the program starts,
/// its initial stack pointer, and what /proc/[pid]/{exe,cmdline,environ,auxv} show.
/// </summary>
public sealed class LoadedImage
{
    /// <summary>The address the first instruction is fetched from (the ELF's entry point plus its load bias).</summary>
    public required Addr Entry { get; init; }

    /// <summary>The initial rsp: 16-byte aligned, pointing at argc.</summary>
    public required Addr StackPointer { get; init; }

    /// <summary>The sandbox path of the ELF file finally loaded (after following <c>#!</c> lines): /proc/self/exe.</summary>
    public required string ExecutablePath { get; init; }

    /// <summary>The argument vector the program got (after <c>#!</c> rewriting, and with Linux's empty argv[0] when none was given).</summary>
    public required string[] Argv { get; init; }

    /// <summary>
    /// The auxiliary vector exactly as written on the stack: (type, value) pairs of little-endian
    /// 64-bit words, ending with the AT_NULL pair. /proc/self/auxv returns these bytes.
    /// </summary>
    public required byte[] Auxv { get; init; }

    /// <summary>The address of argv[0]'s first byte on the stack.</summary>
    public required Addr ArgvStart { get; init; }

    /// <summary>The address just past the last argument string's NUL (/proc/self/cmdline reads [ArgvStart, ArgvEnd)).</summary>
    public required Addr ArgvEnd { get; init; }

    /// <summary>The address of envp[0]'s first byte on the stack (equal to <see cref="ArgvEnd"/>).</summary>
    public required Addr EnvpStart { get; init; }

    /// <summary>The address just past the last environment string's NUL.</summary>
    public required Addr EnvpEnd { get; init; }
}
