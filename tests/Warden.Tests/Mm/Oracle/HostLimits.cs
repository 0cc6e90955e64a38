using System.Globalization;

namespace Warden.Tests.Mm.Oracle;

/// <summary>What this process (and so the kernel targets) may lock: CAP_IPC_LOCK and the soft RLIMIT_MEMLOCK.</summary>
public static class HostLimits
{
    private const int CapIpcLock = 14;

    /// <summary>Whether the effective capabilities hold CAP_IPC_LOCK (mlock then ignores RLIMIT_MEMLOCK).</summary>
    public static bool CanLockMemory { get; } = ReadCanLockMemory();

    /// <summary>The soft RLIMIT_MEMLOCK in bytes (<see cref="Warden.Mm.ResourceLimits.Unlimited"/> for unlimited).</summary>
    public static ulong MemLock { get; } = ReadMemLock();

    private static bool ReadCanLockMemory()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                ulong caps = ulong.Parse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (caps & (1UL << CapIpcLock)) != 0;
            }
        }
        return false;
    }

    private static ulong ReadMemLock()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max locked memory", StringComparison.Ordinal))
            {
                string soft = line["Max locked memory".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? Warden.Mm.ResourceLimits.Unlimited : ulong.Parse(soft, CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("/proc/self/limits has no 'Max locked memory' line.");
    }
}
