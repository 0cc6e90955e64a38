namespace Warden.Kernel.Tasks;

/// <summary>What getrusage reports of a process (or of its reaped children): CPU time and peak resident set.</summary>
internal readonly record struct ProcessUsage(long UserNs, long SystemNs, ulong MaxRssBytes)
{
    /// <summary>The two together: times added, the larger peak.</summary>
    public ProcessUsage Plus(ProcessUsage other) =>
        new(UserNs + other.UserNs, SystemNs + other.SystemNs, Math.Max(MaxRssBytes, other.MaxRssBytes));
}
