namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>A program to run, natively or under Warden, with everything that decides what it does.</summary>
/// <param name="Program">The program's path (inside the sandbox for Warden; the host's for a native run).</param>
/// <param name="Argv">Its arguments, argv[0] included.</param>
internal sealed record RunSpec(string Program, string[] Argv)
{
    /// <summary>Its environment (default: <see cref="Infrastructure.Busybox.Environment"/>).</summary>
    public string[] Env { get; init; } = Infrastructure.Busybox.Environment;

    /// <summary>What it reads from standard input, through a pipe (default: nothing, the pipe closed at once).</summary>
    public byte[]? Stdin { get; init; }

    /// <summary>A host file opened as its standard input instead of a pipe.</summary>
    public string? StdinFile { get; init; }

    /// <summary>Its working directory as it sees it (for Warden, a path inside <see cref="Root"/>); <c>null</c> for the test's own.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The host directory Warden shows as <c>/</c> (<see cref="Warden.Kernel.KernelOptions.Root"/>); <c>null</c> for the host's root.</summary>
    public string? Root { get; init; }

    /// <summary>Whether Warden refuses every change to files (<see cref="Warden.Kernel.KernelOptions.ReadOnly"/>).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>How long the run may take before the test fails (and the run is killed).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where Warden's <c>--strace</c> lines go while debugging a test; <c>null</c> for none.</summary>
    public TextWriter? Strace { get; init; }

    /// <summary>The same command as busybox's <paramref name="applet"/>.</summary>
    public static RunSpec Busybox(string applet, params string[] args) => new(Infrastructure.Busybox.Path, Infrastructure.Busybox.Argv(applet, args));
}
