using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platforms.SoftMmu;
using Warden.UserMem;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// A Warden <see cref="MemoryManager"/> (SoftMmu platform) whose address space mirrors a
/// <see cref="FuzzChild"/>'s: the same layout, every one of the child's mappings at the same address
/// with the same protections, the same program break, and the same files at the same descriptor
/// numbers. <see cref="Call"/> decodes raw arguments as Warden's system-call layer does
/// (<c>Warden.Kernel.Syscalls.Sys</c>) and answers in the kernel's convention.
/// </summary>
/// <remarks>
/// The child's own mappings become placeholders that merge (or not) with neighbours as the child's
/// do: its executable's mappings and the special mappings (vvar, vdso) map the executable itself
/// (so no anonymous neighbour merges with them, and no two of them with each other); its data
/// and stack are anonymous; each writable one is written once so each has its own anonymous memory as the child's has; its
/// heap is made by brk, as the child's was.
/// </remarks>
public sealed class WardenMirror : IDisposable
{
    /// <summary>What an error that is not an errno is reported as (never a kernel answer).</summary>
    public const long NotAnErrno = -9999;

    private static readonly IContext s_ctx = Context.Background;
    private static readonly IOOpts s_force = new() { IgnorePermissions = true };

    private readonly MemoryFile _memory;
    private readonly Dictionary<int, IMmapSource> _fds = [];
    private readonly List<HostFileMappable> _mappables = [];
    private readonly HostFileCache _files;

    /// <param name="childMaps">The child's maps when it started serving (without the vsyscall page).</param>
    /// <param name="executable">The child's executable (for the placeholders of its file and special mappings).</param>
    /// <param name="initialBrk">The child's program break.</param>
    /// <param name="files">The child's files; descriptors 0 to 2 are its pipes.</param>
    /// <param name="minAddress">The kernel's mmap_min_addr (hints and searches stay above it).</param>
    /// <param name="dacMinAddress">vm.mmap_min_addr (fixed mappings stay above it).</param>
    /// <param name="topDownBase">The child's mmap_base.</param>
    /// <param name="privileged">Whether the child has CAP_IPC_LOCK.</param>
    /// <param name="memLock">The child's RLIMIT_MEMLOCK.</param>
    public WardenMirror(IReadOnlyList<FuzzMapsLine> childMaps, string executable, ulong initialBrk, IReadOnlyList<FuzzFile> files,
        ulong minAddress, ulong dacMinAddress, ulong topDownBase, bool privileged, ulong memLock)
    {
        (MemoryFile? memory, Error? error) = MemoryFile.Create();
        _memory = memory ?? throw new InvalidOperationException($"MemoryFile.Create failed: {error}");
        _files = new HostFileCache(_memory);
        var platform = new SoftMmuPlatform(_memory, new SoftMmuOptions { MinUserAddress = new Addr(dacMinAddress), MaxUserAddress = new Addr(Arch.TaskSize) });
        var layout = new MmapLayout
        {
            MinAddress = minAddress,
            FixedMinAddress = dacMinAddress,
            MaxAddress = Arch.TaskSize,
            TopDownBase = topDownBase,
            // Linux's TASK_UNMAPPED_BASE without randomisation, where a failed top-down search retries.
            BottomUpBase = Arch.PageRoundUp(Arch.TaskSize / 3).Rounded,
        };
        var limits = new ResourceLimits { MemLock = memLock };
        Mm = new MemoryManager(platform, new MemoryManagerOptions { Layout = layout, Limits = limits, CanLockMemory = privileged });

        HostFileMappable exe = OpenMappable(executable, FileAccess.Read);
        foreach (FuzzMapsLine line in childMaps)
        {
            bool isExecutable = line.Name == executable;
            bool special = line.Name.StartsWith("[v", StringComparison.Ordinal);
            if (line.Name == "[heap]")
            {
                // The heap is brk's own, as the child's is: it does not merge with the data below it
                // when made, but may when something later changes both.
                Mm.BrkSetup(s_ctx, new Addr(line.Start));
                ulong heapEnd = MemorySyscalls.Brk(s_ctx, Mm, initialBrk);
                if (heapEnd != initialBrk)
                {
                    throw new InvalidOperationException($"warden: could not mirror the heap {line}: brk is 0x{heapEnd:x}");
                }
                Mm.CopyOut(s_ctx, new Addr(line.End - Arch.PageSize), [0], s_force);
                continue;
            }
            int flags = MAP_PRIVATE | MAP_FIXED | (isExecutable || special ? 0 : MAP_ANONYMOUS) |
                (line.Name == "[stack]" ? MAP_GROWSDOWN : 0);
            ulong offset = isExecutable ? line.Offset : 0;
            (ulong at, Error? e) = MemorySyscalls.Mmap(s_ctx, Mm, line.Start, line.End - line.Start, (ulong)line.Prot, (ulong)flags, isExecutable || special ? exe : null, offset);
            if (e is not null || at != line.Start)
            {
                throw new InvalidOperationException($"warden: could not mirror {line}: {e}");
            }
            // Written as the child's were (its executable's data by the C library's start-up too),
            // so that pieces split from them later share one anonymous identity and merge again.
            if (!special && line.Perms[1] == 'w')
            {
                Mm.CopyOut(s_ctx, new Addr(line.End - Arch.PageSize), [0], s_force);
            }
        }

        if (Mm.BrkStart.Value == 0)
        {
            Mm.BrkSetup(s_ctx, new Addr(initialBrk));
        }

        // Descriptors 0 to 2 are pipes (0 the read end, 1 and 2 write ends): sources that refuse to
        // be mapped, as Warden's descriptions of files without mmap give.
        for (int fd = 0; fd < 3; fd++)
        {
            _fds[fd] = new UnmappableMmapSource(readable: fd == 0, writable: fd != 0);
        }
        foreach (FuzzFile file in files)
        {
            _fds[file.Fd] = OpenMappable(file.Path, file.Access).OpenedAs(file.Access != FileAccess.Write, file.Access != FileAccess.Read);
        }
    }

    /// <summary>The mirror's memory manager.</summary>
    public MemoryManager Mm { get; }

    /// <summary>
    /// Makes <paramref name="call"/>; returns its result as the kernel would (a negative errno on
    /// failure, <see cref="NotAnErrno"/> for an error that is no errno).
    /// </summary>
    public long Call(FuzzCall call) => call.Number switch
    {
        Sysno.Mmap => Mmap(call),
        Sysno.Munmap => Result(MemorySyscalls.Munmap(s_ctx, Mm, call.A0, call.A1)),
        Sysno.Mprotect => Result(MemorySyscalls.Mprotect(s_ctx, Mm, call.A0, call.A1, call.A2)),
        Sysno.Mremap => Result(MemorySyscalls.Mremap(s_ctx, Mm, call.A0, call.A1, call.A2, call.A3, call.A4)),
        Sysno.Madvise => Result(MemorySyscalls.Madvise(s_ctx, Mm, call.A0, call.A1, (int)call.A2)),
        Sysno.Brk => (long)MemorySyscalls.Brk(s_ctx, Mm, call.A0),
        Sysno.Mincore => Result(MemorySyscalls.Mincore(s_ctx, Mm, call.A0, call.A1, call.A2)),
        Sysno.Mlock => Result(MemorySyscalls.Mlock(s_ctx, Mm, call.A0, call.A1)),
        Sysno.Mlock2 => Result(MemorySyscalls.Mlock(s_ctx, Mm, call.A0, call.A1, (int)call.A2)),
        Sysno.Munlock => Result(MemorySyscalls.Munlock(s_ctx, Mm, call.A0, call.A1)),
        Sysno.Mlockall => Result(MemorySyscalls.Mlockall(s_ctx, Mm, (int)call.A0)),
        Sysno.Munlockall => Result(MemorySyscalls.Munlockall(s_ctx, Mm)),
        Sysno.Msync => Result(MemorySyscalls.Msync(s_ctx, Mm, call.A0, call.A1, (int)call.A2)),
        _ => throw new ArgumentOutOfRangeException(nameof(call), call.Number, "Not a memory system call."),
    };

    /// <summary>Reads <paramref name="into"/>.Length bytes at <paramref name="addr"/>, whatever the protection.</summary>
    public void Read(ulong addr, Span<byte> into)
    {
        (int n, Error? error) = Mm.CopyIn(s_ctx, new Addr(addr), into, s_force);
        if (error is not null || n != into.Length)
        {
            throw new InvalidOperationException($"warden: could not read the mirror's 0x{addr:x} ({error}).");
        }
    }

    public void Dispose()
    {
        Mm.Dispose();
        foreach (HostFileMappable mappable in _mappables)
        {
            mappable.DecRef(s_ctx);
        }
        _memory.Dispose();
    }

    private long Mmap(FuzzCall c)
    {
        // As Sys.Mmap: the arguments as Linux declares them (unsigned longs, the descriptor an int);
        // a descriptor that is not open goes in as no file.
        IMmapSource? source = (c.A3 & MAP_ANONYMOUS) == 0 ? _fds.GetValueOrDefault((int)c.A4) : null;
        (ulong addr, Error? error) = MemorySyscalls.Mmap(s_ctx, Mm, c.A0, c.A1, c.A2, c.A3, source, c.A5);
        return error is null ? (long)addr : ErrnoOf(error);
    }

    private HostFileMappable OpenMappable(string path, FileAccess access)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, access);
        // From one cache, as the kernel's opens are: two opens of one file share its pages.
        (HostFileMappable? mappable, Error? error) = _files.Get(handle, path, access != FileAccess.Write, access != FileAccess.Read);
        if (mappable is null)
        {
            handle.Dispose();
            throw new InvalidOperationException($"warden: could not make {path} mappable: {error}");
        }
        _mappables.Add(mappable);
        return mappable;
    }

    private static long Result(Error? error) => error is null ? 0 : ErrnoOf(error);

    private static long Result((ulong Result, Error? Error) r) => r.Error is null ? (long)r.Result : ErrnoOf(r.Error);

    private static long ErrnoOf(Error error) => error is Errno errno ? -errno.Number : NotAnErrno;
}
