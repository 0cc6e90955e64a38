namespace Warden.Kernel.Tasks;

/// <summary>The user and group IDs a process runs with, as the kernel assigns them.</summary>
/// <param name="Uid">Real user ID.</param>
/// <param name="Euid">Effective user ID.</param>
/// <param name="Gid">Real group ID.</param>
/// <param name="Egid">Effective group ID.</param>
/// <param name="Groups">Supplementary groups.</param>
public sealed record Credentials(uint Uid, uint Euid, uint Gid, uint Egid, uint[] Groups)
{
    /// <summary>root, with no supplementary groups.</summary>
    public static Credentials Root { get; } = new(0, 0, 0, 0, []);
}
