using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;

namespace Warden.PgAlloc;

public sealed partial class MemoryFile
{
    private const int KindCount = (int)MemoryKind.Mapped + 1;

    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is page-aligned, non-empty and within the
    /// file's current size.</para>
    /// <para><b>Postconditions:</b> on success the range reads as zero and holds no host memory; its
    /// pages stay allocated with their references.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="fr"/> is empty, not page-aligned or beyond the file's size.</exception>
    public Error? Decommit(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            ThrowIfDestroyed();
            if (fr.End > _fileSize)
            {
                ThrowHelper.ThrowArgument(nameof(fr), "{0} reaches past the file's size 0x{1:x}.", fr, _fileSize);
            }
            return Libc.Fallocate(_fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, (long)fr.Start, (long)fr.Length);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Measures, with <c>lseek(SEEK_DATA/SEEK_HOLE)</c> on the memfd, the committed bytes of every
    /// allocated range and sets each kind's counter in <see cref="Accounting"/> to the sum for that
    /// kind. Holds the lock throughout: O(allocated segments + committed extents).
    /// </remarks>
    public Error? UpdateUsage()
    {
        Span<ulong> committed = stackalloc ulong[KindCount];
        lock (_lock)
        {
            ThrowIfDestroyed();
            for (var seg = _refs.FirstSegment(); seg.IsValid; seg = seg.NextSegment())
            {
                (ulong bytes, Error? error) = CommittedLocked(seg.Start, seg.End);
                if (error is not null)
                {
                    return error;
                }
                committed[(int)seg.Value.Kind] += bytes;
            }
            for (int k = 0; k < KindCount; k++)
            {
                var kind = (MemoryKind)k;
                ulong current = Accounting.Get(kind);
                if (committed[k] > current)
                {
                    Accounting.Inc(committed[k] - current, kind);
                }
                else if (committed[k] < current)
                {
                    Accounting.Dec(current - committed[k], kind);
                }
            }
        }
        return null;
    }

    /// <inheritdoc/>
    /// <remarks>The host's count of the memfd's allocated blocks (<c>fstat</c>'s <c>st_blocks</c>): one system call.</remarks>
    public (ulong Usage, Error? Error) TotalUsage()
    {
        ThrowIfDestroyed();
        (_, long blocks, Errno? error) = Libc.Fstat(_fd);
        return error is not null ? (0, error) : ((ulong)blocks * 512, null);
    }

    // The bytes of [start, end) that hold data in the memfd. Caller holds _lock.
    private (ulong Bytes, Error? Error) CommittedLocked(ulong start, ulong end)
    {
        ulong total = 0;
        ulong pos = start;
        while (pos < end)
        {
            (long data, Errno? dataError) = Libc.Lseek(_fd, (long)pos, Libc.SEEK_DATA);
            if (dataError == Errno.ENXIO)
            {
                break; // No data from pos to the end of the file.
            }
            if (dataError is not null)
            {
                return (0, dataError);
            }
            if ((ulong)data >= end)
            {
                break;
            }
            (long hole, Errno? holeError) = Libc.Lseek(_fd, data, Libc.SEEK_HOLE);
            if (holeError is not null)
            {
                return (0, holeError);
            }
            ulong holeAt = Math.Min((ulong)hole, end);
            total += holeAt - (ulong)data;
            pos = holeAt;
        }
        return (Arch.PageRoundUp(total).Rounded, null);
    }
}
