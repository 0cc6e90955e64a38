namespace Warden.Kernel.Loader;

/// <summary>What <see cref="ProgramLoader.Load"/> needs besides the program: credentials and randomness.</summary>
public sealed record LoaderOptions
{
    /// <summary>The options with every default: root credentials, <see cref="System.Random.Shared"/>.</summary>
    public static LoaderOptions Default { get; } = new();

    /// <summary>The real user ID (AT_UID).</summary>
    public uint Uid { get; init; }

    /// <summary>The effective user ID (AT_EUID).</summary>
    public uint Euid { get; init; }

    /// <summary>The real group ID (AT_GID).</summary>
    public uint Gid { get; init; }

    /// <summary>The effective group ID (AT_EGID).</summary>
    public uint Egid { get; init; }

    /// <summary>
    /// Chooses the load base of a static-PIE program and the small random shift of the initial
    /// stack pointer; <see langword="null"/> uses <see cref="System.Random.Shared"/>. Seed it for a
    /// reproducible layout. (AT_RANDOM's bytes always come from a cryptographic generator.)
    /// </summary>
    public Random? Random { get; init; }

    /// <summary>
    /// Where the program's file is wrapped for mapping, shared with every other open of it;
    /// <see langword="null"/> wraps it on its own (its pages are then read for this program alone).
    /// </summary>
    public Warden.Mm.HostFileCache? Files { get; init; }
}
