namespace Warden.Interop;

/// <summary>
/// What a host file's contents are judged unchanged by: its size and its modification and
/// status-change times, in nanoseconds. A write through any descriptor changes the last two.
/// </summary>
internal readonly record struct FileVersion(long Size, long ModifiedNs, long ChangedNs);
