using Microsoft.Win32.SafeHandles;
using Warden.Kernel.Tasks;

namespace Warden.Kernel;

/// <summary>How a <see cref="Kernel"/> runs its programs.</summary>
public sealed record KernelOptions
{
    /// <summary>The host directory the program sees as <c>/</c> (default: the host's root).</summary>
    public string Root { get; init; } = "/";

    /// <summary>Whether every change to files is refused with EROFS.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// The program's working directory, a path inside the sandbox. <c>null</c>: Warden's own working
    /// directory when <see cref="Root"/> is <c>/</c>, else <c>/</c>.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The host descriptors the program gets as 0, 1 and 2 (default: Warden's own). They are duplicated, not taken.</summary>
    public SafeFileHandle? Stdin { get; init; }

    /// <inheritdoc cref="Stdin"/>
    public SafeFileHandle? Stdout { get; init; }

    /// <inheritdoc cref="Stdin"/>
    public SafeFileHandle? Stderr { get; init; }

    /// <summary>Where <c>--strace</c> lines go; <c>null</c> for none.</summary>
    public TextWriter? Strace { get; init; }

    /// <summary>Where Warden reports its own failures (a bug, a stub that died); default standard error.</summary>
    public TextWriter? Diagnostics { get; init; }

    /// <summary>Whether to keep the first process's final /proc/self/maps (see <see cref="Kernel.FinalMaps"/>).</summary>
    public bool CaptureFinalMaps { get; init; }

    /// <summary>The credentials of the first process; default: the IDs Warden runs with, as a native run would see.</summary>
    public Credentials? Credentials { get; init; }

    /// <summary>A seed for every random choice (mmap layout, static-PIE base); <c>null</c> for real randomness.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>The host name uname(2) reports; <c>null</c> for the host's.</summary>
    public string? Hostname { get; init; }
}
