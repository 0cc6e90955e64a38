namespace Warden.Kernel.Files;

/// <summary>Linux's x86-64 <c>O_*</c> open flags and the <c>AT_*</c> flags of the <c>*at</c> calls.</summary>
internal static class OpenFlags
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_ACCMODE = 3;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_DSYNC = 0x1000;
    public const int O_ASYNC = 0x2000;
    public const int O_DIRECT = 0x4000;
    public const int O_LARGEFILE = 0x8000;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_NOATIME = 0x40000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_SYNC = 0x101000;
    public const int O_PATH = 0x200000;
    public const int O_TMPFILE = 0x410000;

    /// <summary>Every flag open(2) knows; openat2 refuses others, open ignores them.</summary>
    public const int Known = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_ASYNC |
        O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;

    /// <summary>The flags F_SETFL may change.</summary>
    public const int Settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EACCESS = 0x200;
    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const int AT_NO_AUTOMOUNT = 0x800;
    public const int AT_EMPTY_PATH = 0x1000;
    public const int AT_STATX_SYNC_TYPE = 0x6000;

    /// <summary>Whether flags ask for write access (or for truncation, which needs it).</summary>
    public static bool Writes(int flags) => (flags & O_ACCMODE) is O_WRONLY or O_RDWR || (flags & O_TRUNC) != 0;
}
