using System.Runtime.InteropServices;

namespace Warden.Kernel.Files;

/// <summary>x86-64 Linux's <c>struct stat</c> (144 bytes), for files the kernel makes up (procfs).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinuxStat
{
    public const int Size = 144;
    public const int DeviceOffset = 0;
    public const int InodeOffset = 8;
    public const int ModeOffset = 24;

    public ulong Dev;
    public ulong Ino;
    public ulong Nlink;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public int Pad0;
    public ulong Rdev;
    public long FileSize;
    public long Blksize;
    public long Blocks;
    public long AtimeSec;
    public long AtimeNsec;
    public long MtimeSec;
    public long MtimeNsec;
    public long CtimeSec;
    public long CtimeNsec;
    public long Reserved0;
    public long Reserved1;
    public long Reserved2;
}
