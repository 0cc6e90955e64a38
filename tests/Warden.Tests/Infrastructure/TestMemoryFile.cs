using System.Runtime.InteropServices;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;
using Warden.SafeMem;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// A test double for <see cref="IMemory"/> (and so for any <see cref="IFile"/>): a fixed amount of
/// zeroed native memory, handed out in pages by first fit, with a reference count per page.
/// </summary>
/// <remarks>
/// <para>
/// It is strict where the contracts are: a range that is empty, unaligned or outside the file, an
/// <see cref="IncRef"/> on a page nobody references, a <see cref="DecRef"/> past zero, and a
/// <see cref="MapInternal"/> of unreferenced pages all throw <see cref="InvalidOperationException"/>
/// (the message says "refcount" for reference-count violations), so a test fails at the broken
/// precondition rather than somewhere later.
/// </para>
/// <para>
/// A page whose last reference goes is zeroed and becomes free, so memory reused by a later
/// <see cref="Allocate"/> reads as zero. Usage is counted per kind in <see cref="Accounting"/> and is
/// always current. It is a test double: there is no file descriptor (<see cref="FD"/> is -1 and
/// <see cref="DataFD"/> fails with ENOSYS), and <see cref="SaveTo"/>/<see cref="LoadFrom"/> return ENOSYS.
/// Thread-safe (one lock); dispose it (or call <see cref="Destroy"/>) to free the memory.
/// </para>
/// </remarks>
public sealed unsafe class TestMemoryFile : IMemory, IDisposable
{
    private readonly object _lock = new();
    private readonly ulong _capacity;

    // Guarded by _lock: the memory (null once destroyed), each page's references and kind.
    private byte* _base;
    private readonly int[] _refs;
    private readonly MemoryKind[] _kinds;

    /// <summary>Creates a file of <paramref name="capacity"/> bytes (a non-zero multiple of the page size, at most 1 GiB).</summary>
    public TestMemoryFile(ulong capacity = 256 * (ulong)Arch.PageSize)
    {
        if (capacity == 0 || !Arch.IsPageAligned(capacity) || capacity > 1UL << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A non-zero multiple of the page size, at most 1 GiB.");
        }
        _capacity = capacity;
        _base = (byte*)NativeMemory.AllocZeroed((nuint)capacity);
        _refs = new int[capacity / Arch.PageSize];
        _kinds = new MemoryKind[_refs.Length];
    }

    /// <summary>When set, <see cref="Allocate"/> fails with this error (allocating nothing).</summary>
    public Error? AllocateError { get; set; }

    /// <summary>When set, <see cref="MapInternal"/> fails with this error.</summary>
    public Error? MapInternalError { get; set; }

    /// <summary>Every <see cref="MapInternal"/> call's range and access type, in order.</summary>
    public List<(FileRange Range, AccessType At)> MapInternalCalls { get; } = [];

    /// <summary>Every memory-cgroup ID passed to <see cref="IncRef"/>, in order.</summary>
    public List<uint> IncRefCgroups { get; } = [];

    /// <summary>The number of pages.</summary>
    public int PageCount => _refs.Length;

    /// <summary>The number of pages with at least one reference.</summary>
    public int AllocatedPages
    {
        get
        {
            lock (_lock)
            {
                int n = 0;
                foreach (int refs in _refs)
                {
                    if (refs > 0)
                    {
                        n++;
                    }
                }
                return n;
            }
        }
    }

    /// <summary>The references held on the page at file offset <paramref name="pageOffset"/> (0 if free).</summary>
    public int RefCount(ulong pageOffset)
    {
        if (!Arch.IsPageAligned(pageOffset) || pageOffset >= _capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(pageOffset), pageOffset, "Not the offset of a page in the file.");
        }
        lock (_lock)
        {
            return _refs[pageOffset / Arch.PageSize];
        }
    }

    /// <summary>The references on each page of <paramref name="fr"/>, in order (for assertions).</summary>
    public int[] RefCounts(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            return _refs.AsSpan((int)(fr.Start / Arch.PageSize), (int)(fr.Length / Arch.PageSize)).ToArray();
        }
    }

    /// <summary>Returns a copy of the bytes at <paramref name="fr"/>, whether or not they are allocated.</summary>
    public byte[] Read(FileRange fr)
    {
        CheckBounds(fr, nameof(fr));
        lock (_lock)
        {
            return new ReadOnlySpan<byte>(LiveBaseLocked() + fr.Start, (int)fr.Length).ToArray();
        }
    }

    /// <inheritdoc/>
    public ulong TotalSize => _capacity;

    /// <inheritdoc/>
    public MemoryAccounting Accounting { get; } = new();

    /// <inheritdoc/>
    public int FD => -1;

    /// <inheritdoc/>
    public (FileRange Range, Error? Error) Allocate(ulong length, MemoryKind kind)
    {
        if (length == 0 || !Arch.IsPageAligned(length))
        {
            throw new ArgumentException($"Allocate needs a non-zero page-aligned length, not 0x{length:x}.", nameof(length));
        }
        if (AllocateError is { } error)
        {
            return (default, error);
        }
        ulong pages = length / Arch.PageSize;
        lock (_lock)
        {
            LiveBaseLocked();
            int run = 0;
            for (int page = 0; page < _refs.Length; page++)
            {
                run = _refs[page] == 0 ? run + 1 : 0;
                if ((ulong)run == pages)
                {
                    int first = page - run + 1;
                    for (int p = first; p <= page; p++)
                    {
                        _refs[p] = 1;
                        _kinds[p] = kind;
                    }
                    Accounting.Inc(length, kind);
                    ulong start = (ulong)first * Arch.PageSize;
                    return (new FileRange(start, start + length), null);
                }
            }
        }
        return (default, Errno.ENOMEM);
    }

    /// <inheritdoc/>
    public void IncRef(FileRange fr, uint memCgID)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            LiveBaseLocked();
            RequireReferencedLocked(fr, "IncRef");
            for (int page = FirstPage(fr); page < EndPage(fr); page++)
            {
                _refs[page]++;
            }
            IncRefCgroups.Add(memCgID);
        }
    }

    /// <inheritdoc/>
    public void DecRef(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            byte* memory = LiveBaseLocked();
            RequireReferencedLocked(fr, "DecRef");
            for (int page = FirstPage(fr); page < EndPage(fr); page++)
            {
                if (--_refs[page] == 0)
                {
                    new Span<byte>(memory + ((long)page * Arch.PageSize), Arch.PageSize).Clear();
                    Accounting.Dec(Arch.PageSize, _kinds[page]);
                }
            }
        }
    }

    /// <inheritdoc/>
    public (BlockSeq Blocks, Error? Error) MapInternal(FileRange fr, AccessType at)
    {
        CheckBounds(fr, nameof(fr));
        lock (_lock)
        {
            byte* memory = LiveBaseLocked();
            MapInternalCalls.Add((fr, at));
            FileRange pages = new(Arch.PageRoundDown(fr.Start), Arch.PageRoundUp(fr.End).Rounded);
            RequireReferencedLocked(pages, "MapInternal");
            if (MapInternalError is { } error)
            {
                return (default, error);
            }
            return (BlockSeq.Of(Block.FromPointer(memory + fr.Start, (int)fr.Length)), null);
        }
    }

    /// <inheritdoc/>
    public (int FD, Error? Error) DataFD(FileRange fr)
    {
        CheckBounds(fr, nameof(fr));
        return (-1, Errno.ENOSYS);
    }

    /// <inheritdoc/>
    public Error? Decommit(FileRange fr)
    {
        CheckPageRange(fr, nameof(fr));
        lock (_lock)
        {
            new Span<byte>(LiveBaseLocked() + fr.Start, (int)fr.Length).Clear();
        }
        return null;
    }

    /// <inheritdoc/>
    public Error? UpdateUsage() => null;

    /// <inheritdoc/>
    public (ulong Usage, Error? Error) TotalUsage() => (Accounting.Total(), null);

    /// <summary>Not supported by the test double: returns ENOSYS.</summary>
    public Error? SaveTo(Stream stream) => Errno.ENOSYS;

    /// <summary>Not supported by the test double: returns ENOSYS.</summary>
    public Error? LoadFrom(Stream stream) => Errno.ENOSYS;

    /// <inheritdoc/>
    public void Destroy()
    {
        lock (_lock)
        {
            if (_base is not null)
            {
                NativeMemory.Free(_base);
                _base = null;
            }
        }
    }

    /// <summary>Same as <see cref="Destroy"/>; safe to call more than once.</summary>
    public void Dispose() => Destroy();

    private static int FirstPage(FileRange fr) => (int)(fr.Start / Arch.PageSize);

    private static int EndPage(FileRange fr) => (int)(fr.End / Arch.PageSize);

    // Returns the memory, or throws if the file was destroyed. Caller holds _lock.
    private byte* LiveBaseLocked()
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        return _base;
    }

    private void CheckBounds(FileRange fr, string paramName)
    {
        if (fr.Start >= fr.End || fr.End > _capacity)
        {
            throw new InvalidOperationException($"{paramName} {fr} is empty, ill-formed or outside the file [0x0, 0x{_capacity:x}).");
        }
    }

    private void CheckPageRange(FileRange fr, string paramName)
    {
        CheckBounds(fr, paramName);
        if (!fr.IsPageAligned)
        {
            throw new InvalidOperationException($"{paramName} {fr} is not page-aligned.");
        }
    }

    // Throws unless every page of the page-aligned range fr holds a reference. Caller holds _lock.
    private void RequireReferencedLocked(FileRange fr, string operation)
    {
        for (int page = FirstPage(fr); page < EndPage(fr); page++)
        {
            if (_refs[page] <= 0)
            {
                throw new InvalidOperationException(
                    $"refcount: {operation}({fr}) touches page 0x{(ulong)page * Arch.PageSize:x}, which has no reference.");
            }
        }
    }
}
