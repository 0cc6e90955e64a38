using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.Platform;
using Warden.RangeMap;

namespace Warden.PgAlloc;

/// <summary>
/// The memory every application page lives in (gVisor's pgalloc in spirit): one memfd, grown on
/// demand, handed out in page-aligned ranges with a reference count per page.
/// </summary>
/// <remarks>
/// <para>
/// <b>Locks.</b> One lock, <c>_lock</c>, guards the allocation state: the reference-count map, the
/// file size and the mapping of new chunks. In the lock order it comes last: it may be taken while
/// holding the memory manager's locks (and any other lock of a layer above), and nothing else is
/// taken while holding it. <see cref="MapInternal"/> on a chunk that is already mapped takes no lock
/// at all (the chunk table is only ever filled in, under the lock, until <see cref="Destroy"/>).
/// </para>
/// <list type="bullet">
/// <item>memory manager locks (Warden.Mm)
///   <list type="bullet"><item>MemoryFile._lock</item></list>
/// </item>
/// </list>
/// <para>
/// <b>Pages.</b> A page is allocated while it holds at least one reference; when the last goes, its
/// host memory is released at once with <c>FALLOC_FL_PUNCH_HOLE</c>, still under the lock, so that
/// the page reads as zero when it is next allocated and stops counting as usage.
/// </para>
/// <para>
/// <b>Mappings.</b> The file is mapped into Warden in large <c>MAP_SHARED</c> chunks (1 GiB by
/// default), each on first use and kept until <see cref="Destroy"/>; <see cref="MapInternal"/>
/// returns blocks inside them. The chunks are placed side by side in address space reserved for the
/// whole file at creation (<see cref="MaxSize"/> of it, none of it committed), so any range of the
/// file is one block, however many chunks it crosses, and mapping it allocates nothing.
/// </para>
/// <para>
/// <b>Usage.</b> <see cref="TotalUsage"/> is the memfd's allocated blocks (one <c>fstat</c>);
/// <see cref="UpdateUsage"/> measures the committed bytes of every allocated range with
/// <c>lseek(SEEK_DATA/SEEK_HOLE)</c> and sets the per-kind counters of <see cref="Accounting"/>.
/// </para>
/// <para>
/// <b>Checkpoints.</b> <see cref="SaveTo"/> and <see cref="LoadFrom"/> use the versioned format
/// described in <c>MemoryFile.Checkpoint.cs</c>: the allocation state and only the committed,
/// non-zero pages, each record checksummed.
/// </para>
/// <para>
/// Finding free space walks the gaps of the reference-count map, so <see cref="Allocate(ulong, MemoryKind, AllocOpts)"/>
/// costs O(number of gaps passed) besides the map's O(log n) updates.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed partial class MemoryFile : IMemory, IDisposable
{
    /// <summary>The default largest size the file may grow to: 1 TiB (address space only; nothing is committed).</summary>
    public const ulong DefaultMaxSize = 1UL << 40;

    /// <summary>The size of each host mapping of the file: 1 GiB.</summary>
    public const ulong DefaultChunkSize = 1UL << 30;

    /// <summary>How far the file grows at a time when an allocation does not fit: 64 MiB.</summary>
    public const ulong DefaultGrowStep = 64UL << 20;

    private readonly Lock _lock = new();

    private readonly SafeFileHandle _fd;
    private readonly ulong _maxSize;
    private readonly ulong _chunkSize;
    private readonly int _chunkShift;
    private readonly ulong _growStep;

    // The address of each chunk's mapping, or 0 before it is mapped. Written under _lock (once per
    // chunk, with Volatile.Write), read without it.
    private readonly nint[] _chunks;

    // The start of the address space reserved for the whole file, where chunk i is mapped at
    // _reservation + i * _chunkSize; 0 if the host refused the reservation (chunks then go wherever
    // the host puts them). Fixed at creation.
    private readonly nint _reservation;
    private readonly ulong _reservationLength;

    // Guarded by _lock: the references, kind and cgroup of every allocated page (free pages are gaps).
    private readonly RangeMap<FileRange, PageState, PageStateOps> _refs = new();

    // Guarded by _lock: no page below this offset is free (every gap of _refs that ends at or below
    // it is empty), so bottom-up searches start there. Without it, a search for one page walks every
    // empty gap between pages of different states: thousands after a fork's copy-on-write breaks.
    private ulong _freeFloor;

    // Guarded by _lock (read without it by TotalSize): the file's size.
    private ulong _fileSize;

    // Set under _lock by Destroy; read without it to fail fast.
    private volatile bool _destroyed;

    private MemoryFile(SafeFileHandle fd, ulong maxSize, ulong chunkSize, ulong growStep, bool reserve)
    {
        _fd = fd;
        (_reservation, _reservationLength) = reserve ? ReserveAddressSpace(maxSize, chunkSize) : (0, 0UL);
        _maxSize = maxSize;
        _chunkSize = chunkSize;
        _chunkShift = System.Numerics.BitOperations.Log2(chunkSize);
        _growStep = growStep;
        _chunks = new nint[(maxSize + chunkSize - 1) / chunkSize];
    }

    /// <summary>Creates an empty memory file that may grow to <paramref name="maxSize"/> bytes.</summary>
    /// <returns>The file, or why the memfd could not be created.</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="maxSize"/> is page-aligned and non-zero.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is zero or not page-aligned.</exception>
    public static (MemoryFile? File, Error? Error) Create(ulong maxSize = DefaultMaxSize) =>
        Create(maxSize, DefaultChunkSize, DefaultGrowStep);

    /// <summary>Like <see cref="Create(ulong)"/>, with the chunk size and growth step chosen (for tests).</summary>
    /// <remarks>
    /// <paramref name="chunkSize"/> is a power of two and a multiple of the huge page size; <paramref name="growStep"/>
    /// is page-aligned and non-zero. Without <paramref name="reserve"/>, chunks are mapped wherever the host
    /// puts them, as when it refuses the reservation.
    /// </remarks>
    internal static (MemoryFile? File, Error? Error) Create(ulong maxSize, ulong chunkSize, ulong growStep, bool reserve = true)
    {
        if (maxSize == 0 || !Arch.IsPageAligned(maxSize) || maxSize > long.MaxValue)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxSize), maxSize, "The maximum size must be non-zero, page-aligned and below 2^63.");
        }
        if (chunkSize < Arch.HugePageSize || (chunkSize & (chunkSize - 1)) != 0 || chunkSize > int.MaxValue)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(chunkSize), chunkSize, "The chunk size must be a power of two from 2 MiB to 1 GiB.");
        }
        if (growStep == 0 || !Arch.IsPageAligned(growStep))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(growStep), growStep, "The growth step must be non-zero and page-aligned.");
        }

        (SafeFileHandle? fd, Errno? error) = Libc.MemfdCreate("warden-memory", Libc.MFD_CLOEXEC);
        if (error == Errno.ENOSYS)
        {
            (fd, Error? fallbackError) = OpenUnlinkedShmFile();
            if (fallbackError is not null)
            {
                return (null, fallbackError);
            }
        }
        else if (error is not null)
        {
            return (null, error);
        }
        return (new MemoryFile(fd!, maxSize, chunkSize, growStep, reserve), null);
    }

    // Reserves address space for every chunk of a file of maxSize bytes, so that the chunks are
    // contiguous in Warden and any range of the file is one block. Nothing is committed: the
    // reservation is PROT_NONE and MAP_NORESERVE. Returns (0, 0) if the host refuses it.
    private static unsafe (nint Address, ulong Length) ReserveAddressSpace(ulong maxSize, ulong chunkSize)
    {
        ulong length = (maxSize + chunkSize - 1) & ~(chunkSize - 1);
        (nint address, Errno? error) = Libc.MmapAnonymous(
            null, (nuint)length, LinuxMman.PROT_NONE, LinuxMman.MAP_PRIVATE | LinuxMman.MAP_NORESERVE, 0);
        return error is null ? (address, length) : (0, 0);
    }

    // Where memfd_create does not exist: a file in /dev/shm (tmpfs, like a memfd), unlinked at once.
    private static (SafeFileHandle? Fd, Error? Error) OpenUnlinkedShmFile()
    {
        string path = Path.Combine("/dev/shm", "warden-memory-" + Guid.NewGuid().ToString("N"));
        try
        {
            SafeFileHandle fd = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            File.Delete(path);
            return (fd, null);
        }
        catch (IOException e)
        {
            return (null, new ExceptionError(e));
        }
        catch (UnauthorizedAccessException e)
        {
            return (null, new ExceptionError(e));
        }
    }

    /// <summary>The largest size the file may grow to.</summary>
    public ulong MaxSize => _maxSize;

    /// <inheritdoc/>
    public ulong TotalSize
    {
        get
        {
            ThrowIfDestroyed();
            return Volatile.Read(ref _fileSize);
        }
    }

    /// <inheritdoc/>
    public MemoryAccounting Accounting { get; } = new();

    /// <inheritdoc/>
    public int FD
    {
        get
        {
            ThrowIfDestroyed();
            return (int)_fd.DangerousGetHandle();
        }
    }

    /// <inheritdoc/>
    /// <remarks>The memfd always holds valid data: this returns <see cref="FD"/> at once.</remarks>
    public (int FD, Error? Error) DataFD(FileRange fr)
    {
        ThrowIfDestroyed();
        CheckInFile(fr, nameof(fr));
        return ((int)_fd.DangerousGetHandle(), null);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions:</b> nothing uses any of the file's pages or the blocks
    /// <see cref="MapInternal"/> returned any more.</para>
    /// <para><b>Postconditions:</b> every chunk is unmapped and the memfd closed; every later call of
    /// any member (other than <see cref="Destroy"/> and <see cref="Dispose"/>, which do nothing)
    /// throws <see cref="ObjectDisposedException"/>.</para>
    /// </remarks>
    public unsafe void Destroy()
    {
        lock (_lock)
        {
            if (_destroyed)
            {
                return;
            }
            _destroyed = true;
            for (int i = 0; i < _chunks.Length; i++)
            {
                if (_chunks[i] != 0 && _reservation == 0)
                {
                    // Nothing useful can be done if munmap fails on a mapping we made.
                    _ = Libc.Munmap((void*)_chunks[i], (nuint)_chunkSize);
                }
                _chunks[i] = 0;
            }
            if (_reservation != 0)
            {
                // The chunks lie inside the reservation: one call unmaps them all.
                _ = Libc.Munmap((void*)_reservation, (nuint)_reservationLength);
            }
            _refs.RemoveAll();
            _freeFloor = 0;
            _fd.Dispose();
        }
    }

    /// <summary>Same as <see cref="Destroy"/>.</summary>
    public void Dispose() => Destroy();

    private void ThrowIfDestroyed() => ObjectDisposedException.ThrowIf(_destroyed, this);

    // Throws unless fr is non-empty and within the largest size the file may have.
    private void CheckInFile(FileRange fr, string paramName)
    {
        if (fr.Start >= fr.End || fr.End > _maxSize)
        {
            ThrowHelper.ThrowArgument(paramName, "{0} is empty, ill-formed or beyond the file's maximum size 0x{1:x}.", fr, _maxSize);
        }
    }

    // Throws unless fr is non-empty, page-aligned and within the largest size the file may have.
    private void CheckPageRange(FileRange fr, string paramName)
    {
        CheckInFile(fr, paramName);
        if (!fr.IsPageAligned)
        {
            ThrowHelper.ThrowArgument(paramName, "{0} is not page-aligned.", fr);
        }
    }
}
