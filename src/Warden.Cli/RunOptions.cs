using Microsoft.Win32.SafeHandles;

namespace Warden.Cli;

/// <summary>What <c>warden run</c> was asked to do: its options, parsed, and the program with its arguments.</summary>
/// <remarks>
/// The command line fills everything but the standard descriptors and the base environment, which
/// default to Warden's own; tests set them to run a program without a terminal or a process of its own.
/// </remarks>
internal sealed record RunOptions
{
    /// <summary>The only platform there is, and the default of <see cref="Platform"/>.</summary>
    public const string PtracePlatform = "ptrace";

    /// <summary>The program as typed (looked up on PATH if it has no slash); <c>null</c> for the built-in demonstration.</summary>
    public string? Program { get; init; }

    /// <summary>The program's arguments after argv[0].</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Whether to print every system call (strace's format) to standard error.</summary>
    public bool Strace { get; init; }

    /// <summary>Where to write the system calls instead of standard error (implies <see cref="Strace"/>).</summary>
    public string? StraceFile { get; init; }

    /// <summary>Whether to print the program's final memory map after it ends.</summary>
    public bool Maps { get; init; }

    /// <summary>Whether to print a table of what the kernel counted after the program ends.</summary>
    public bool Stats { get; init; }

    /// <summary>The host directory the program sees as <c>/</c>.</summary>
    public string Root { get; init; } = "/";

    /// <summary>Whether every change to files is refused (EROFS).</summary>
    public bool ReadOnly { get; init; }

    /// <summary><c>NAME=VALUE</c> settings added to the environment, later ones overriding earlier ones.</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>Whether the program's environment starts empty rather than as Warden's.</summary>
    public bool ClearEnvironment { get; init; }

    /// <summary>The platform to run on (only <see cref="PtracePlatform"/> exists).</summary>
    public string Platform { get; init; } = PtracePlatform;

    /// <summary>The environment the program starts from (without <see cref="ClearEnvironment"/>); <c>null</c> for Warden's own.</summary>
    public IReadOnlyList<string>? BaseEnvironment { get; init; }

    /// <summary>The PATH a program name is looked up on; <c>null</c> for Warden's own.</summary>
    public string? SearchPath { get; init; }

    /// <summary>The host descriptor the program gets as its standard input; <c>null</c> for Warden's.</summary>
    public SafeFileHandle? Stdin { get; init; }

    /// <summary>The host descriptor the program gets as its standard output; <c>null</c> for Warden's.</summary>
    public SafeFileHandle? Stdout { get; init; }

    /// <summary>The host descriptor the program gets as its standard error; <c>null</c> for Warden's.</summary>
    public SafeFileHandle? Stderr { get; init; }
}
