using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.Kernel.Files;

namespace Warden.Kernel.Procfs;

/// <summary>The stat and statx results of procfs files.</summary>
internal static class ProcStat
{
    public const uint S_IFREG = 0x8000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFLNK = 0xa000;

    // procfs's device: its own anonymous device number.
    private const ulong Device = 0x16;

    private static readonly long s_bootSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static Errno? Fill(Span<byte> buffer, uint mode, ulong inode, long size)
    {
        var stat = new LinuxStat
        {
            Dev = Device,
            Ino = inode,
            Nlink = (mode & S_IFDIR) != 0 ? 2UL : 1UL,
            Mode = mode,
            FileSize = size,
            Blksize = 1024,
            AtimeSec = s_bootSeconds,
            MtimeSec = s_bootSeconds,
            CtimeSec = s_bootSeconds,
        };
        buffer.Clear();
        MemoryMarshal.Write(buffer, in stat);
        return null;
    }

    public static Errno? FillStatx(Span<byte> buffer, uint mode, ulong inode, long size = 0)
    {
        buffer.Clear();
        // struct statx: mask, blksize, attributes, nlink, uid, gid, mode, pad, ino, size, blocks, ...
        MemoryMarshal.Write(buffer, 0x7ffu);
        MemoryMarshal.Write(buffer[4..], 1024u);
        MemoryMarshal.Write(buffer[16..], (mode & S_IFDIR) != 0 ? 2u : 1u);
        MemoryMarshal.Write(buffer[28..], (ushort)mode);
        MemoryMarshal.Write(buffer[32..], inode);
        MemoryMarshal.Write(buffer[40..], (ulong)size);
        foreach (int timeOffset in (ReadOnlySpan<int>)[64, 80, 96, 112])
        {
            MemoryMarshal.Write(buffer[timeOffset..], s_bootSeconds);
        }
        MemoryMarshal.Write(buffer[136..], 0u);
        MemoryMarshal.Write(buffer[140..], (uint)Device);
        return null;
    }
}
