using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;
using Warden.UserMem;

namespace Warden.Kernel.Files;

/// <summary>
/// One end of a <see cref="Pipe"/> as an open file description: the read end (<c>O_RDONLY</c>) or
/// the write end (<c>O_WRONLY</c>), as pipe(2) makes them, or both (<c>O_RDWR</c>, by an open of
/// /proc/self/fd/N).
/// </summary>
/// <remarks>
/// Not seekable (lseek and the positioned calls fail with ESPIPE). Shows in /proc/self/fd as
/// <c>pipe:[inode]</c>, and to fstat as a FIFO of pipefs. Releasing the description (its last
/// descriptor closed) closes this end of the pipe.
/// </remarks>
internal sealed class PipeEnd : FileDescription
{
    /// <summary>FIONREAD: the bytes a read would find.</summary>
    public const uint FIONREAD = 0x541B;

    /// <summary>FIONBIO: sets or clears O_NONBLOCK.</summary>
    public const uint FIONBIO = 0x5421;

    private const uint S_IFIFO = 0x1000;

    // pipefs's device: an anonymous device number of its own, fixed for the kernel's life.
    private const ulong Device = 0xd;

    private readonly uint _uid;
    private readonly uint _gid;

    /// <param name="pipe">The pipe (this end is already counted in it: a reader if the access mode reads, a writer if it writes).</param>
    /// <param name="flags">The access mode and status flags (<c>O_NONBLOCK</c>, <c>O_DIRECT</c>).</param>
    /// <param name="uid">The owner fstat shows (the creator's effective uid).</param>
    /// <param name="gid">The group fstat shows.</param>
    public PipeEnd(Pipe pipe, int flags, uint uid, uint gid)
        : base(flags, $"pipe:[{pipe.Inode}]")
    {
        Pipe = pipe;
        _uid = uid;
        _gid = gid;
    }

    /// <summary>The pipe this is an end of.</summary>
    public Pipe Pipe { get; }

    /// <summary>
    /// A new description of the same pipe, as an open of /proc/self/fd/N makes one (Linux's
    /// fifo_open of a pipe, which never waits for the other end).
    /// </summary>
    /// <param name="flags">The open's flags: its access mode decides which ends it counts as.</param>
    public PipeEnd Reopen(int flags)
    {
        int mode = flags & OpenFlags.O_ACCMODE;
        if (mode is OpenFlags.O_RDONLY or OpenFlags.O_RDWR)
        {
            Pipe.AddReader();
        }
        if (mode is OpenFlags.O_WRONLY or OpenFlags.O_RDWR)
        {
            Pipe.AddWriter();
        }
        return new PipeEnd(Pipe, mode | (flags & OpenFlags.O_NONBLOCK), _uid, _gid);
    }

    private bool NonBlocking => (StatusFlags & OpenFlags.O_NONBLOCK) != 0;

    /// <inheritdoc/>
    public override (long Count, Error? Error) Read(KernelTask task, IOSequence dst, long offset) =>
        offset >= 0 ? (0, Errno.ESPIPE) : Pipe.Read(task, dst, NonBlocking);

    /// <inheritdoc/>
    public override (long Count, Error? Error) Write(KernelTask task, IOSequence src, long offset) =>
        offset >= 0 ? (0, Errno.ESPIPE) : Pipe.Write(task, src, NonBlocking, packet: (StatusFlags & OpenFlags.O_DIRECT) != 0);

    /// <inheritdoc/>
    public override int Readiness(int events) =>
        ((Readable ? Pipe.Readiness(reader: true) : 0) | (Writable ? Pipe.Readiness(reader: false) : 0)) & (events | PollEvents.AlwaysReported);

    /// <inheritdoc/>
    public override void Watch(PollWait wait, int events) => wait.AddQueue(Pipe.Queue, events | PollEvents.AlwaysReported);

    /// <inheritdoc/>
    public override long ChangeCount(int events) => Pipe.ChangeCount(events);

    /// <inheritdoc/>
    public override bool CanPoll => true;

    /// <inheritdoc/>
    public override (long Result, Error? Error) Ioctl(KernelTask task, uint request, ulong argument)
    {
        switch (request)
        {
            case FIONREAD:
            {
                int buffered = (int)Math.Min(Pipe.Buffered, int.MaxValue);
                (_, Error? error) = task.CopyObjectOut((Addr)argument, buffered);
                return error is null ? (0, null) : (0, Errno.EFAULT);
            }
            case FIONBIO:
            {
                (_, Error? error) = task.CopyObjectIn((Addr)argument, out int on);
                if (error is not null)
                {
                    return (0, Errno.EFAULT);
                }
                int flags = on != 0 ? StatusFlags | OpenFlags.O_NONBLOCK : StatusFlags & ~OpenFlags.O_NONBLOCK;
                return (0, SetStatusFlags(flags));
            }
            default:
                return (0, Errno.ENOTTY);
        }
    }

    /// <inheritdoc/>
    public override Errno? Stat(Span<byte> stat)
    {
        long seconds = Pipe.CreatedAt.ToUnixTimeSeconds();
        long nanoseconds = Pipe.CreatedAt.Ticks % TimeSpan.TicksPerSecond * 100;
        var value = new LinuxStat
        {
            Dev = Device,
            Ino = Pipe.Inode,
            Nlink = 1,
            Mode = S_IFIFO | 0x180,
            Uid = _uid,
            Gid = _gid,
            Blksize = Pipe.PageSize,
            AtimeSec = seconds,
            AtimeNsec = nanoseconds,
            MtimeSec = seconds,
            MtimeNsec = nanoseconds,
            CtimeSec = seconds,
            CtimeNsec = nanoseconds,
        };
        stat.Clear();
        MemoryMarshal.Write(stat, in value);
        return null;
    }

    /// <inheritdoc/>
    public override Errno? Statx(int flags, uint mask, Span<byte> statx)
    {
        long seconds = Pipe.CreatedAt.ToUnixTimeSeconds();
        uint nanoseconds = (uint)(Pipe.CreatedAt.Ticks % TimeSpan.TicksPerSecond * 100);
        statx.Clear();
        // struct statx: mask, blksize, attributes, nlink, uid, gid, mode, ino, size, blocks,
        // attributes_mask, four timestamps, rdev and dev (major, minor).
        MemoryMarshal.Write(statx, 0x7ffu);
        MemoryMarshal.Write(statx[4..], (uint)Pipe.PageSize);
        MemoryMarshal.Write(statx[16..], 1u);
        MemoryMarshal.Write(statx[20..], _uid);
        MemoryMarshal.Write(statx[24..], _gid);
        MemoryMarshal.Write(statx[28..], (ushort)(S_IFIFO | 0x180));
        MemoryMarshal.Write(statx[32..], Pipe.Inode);
        foreach (int at in (ReadOnlySpan<int>)[64, 96, 112])
        {
            MemoryMarshal.Write(statx[at..], seconds);
            MemoryMarshal.Write(statx[(at + 8)..], nanoseconds);
        }
        MemoryMarshal.Write(statx[136..], 0u);
        MemoryMarshal.Write(statx[140..], (uint)Device);
        return null;
    }

    /// <inheritdoc/>
    protected override void Release()
    {
        if (Readable)
        {
            Pipe.ReleaseReader();
        }
        if (Writable)
        {
            Pipe.ReleaseWriter();
        }
    }
}
