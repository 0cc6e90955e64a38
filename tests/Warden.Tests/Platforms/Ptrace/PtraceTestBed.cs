using Iced.Intel;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>
/// A memory file and a ptrace platform over it, with helpers to put generated x86-64 code and data
/// into an address space. Disposing it releases every stub (even when the test failed) and destroys
/// the memory file.
/// </summary>
/// <remarks>
/// Creating one skips the test (or fails it under <c>CI=true</c>) where this process may not ptrace
/// its children.
/// </remarks>
internal sealed class PtraceTestBed : IDisposable
{
    public const ulong Page = (ulong)Arch.PageSize;

    private PtraceTestBed(MemoryFile memory, PtracePlatform platform)
    {
        Memory = memory;
        Platform = platform;
    }

    public MemoryFile Memory { get; }

    public PtracePlatform Platform { get; }

    public static PtraceTestBed Create(PtracePlatformOptions? options = null)
    {
        Error? unsupported = PtracePlatform.CheckSupported();
        Prerequisite.Require(unsupported is null, $"permission to ptrace child processes ({unsupported?.Message})");
        (MemoryFile? memory, Error? error) = MemoryFile.Create(1UL << 32);
        Assert.Null(error);
        (PtracePlatform? platform, error) = PtracePlatform.Create(memory!, options);
        if (error is not null)
        {
            memory!.Destroy();
            Assert.Fail($"PtracePlatform.Create: {error.Message}");
        }
        return new PtraceTestBed(memory!, platform!);
    }

    public PtraceAddressSpace NewAddressSpace()
    {
        (IAddressSpace? space, Task? retry, Error? error) = Platform.NewAddressSpace(null);
        Assert.Null(error);
        Assert.Null(retry);
        return Assert.IsType<PtraceAddressSpace>(space);
    }

    public PtraceContext NewContext() => Assert.IsType<PtraceContext>(Platform.NewContext());

    /// <summary>Allocates <paramref name="pages"/> zeroed pages of the memory file.</summary>
    public FileRange Allocate(int pages = 1)
    {
        (FileRange fr, Error? error) = Memory.Allocate((ulong)pages * Page, MemoryKind.Anonymous);
        Assert.Null(error);
        return fr;
    }

    /// <summary>The bytes of <paramref name="fr"/>, as Warden sees them through MapInternal.</summary>
    public Span<byte> Bytes(FileRange fr)
    {
        (BlockSeq blocks, Error? error) = Memory.MapInternal(fr, AccessType.ReadWrite);
        Assert.Null(error);
        Assert.Equal(1, blocks.NumBlocks);
        return blocks.Head.AsSpan();
    }

    /// <summary>Allocates pages, maps them at <paramref name="addr"/> with <paramref name="at"/>, and returns them.</summary>
    public FileRange MapData(PtraceAddressSpace space, ulong addr, AccessType at, int pages = 1)
    {
        FileRange fr = Allocate(pages);
        Assert.Null(space.MapFile(new Addr(addr), Memory, fr, at, precommit: false));
        return fr;
    }

    /// <summary>
    /// Assembles <paramref name="assembler"/>'s code for <paramref name="addr"/>, copies it into new
    /// pages of the memory file and maps them there, readable and executable.
    /// </summary>
    public (FileRange Pages, AssemblerResult Result) MapCode(PtraceAddressSpace space, ulong addr, Assembler assembler)
    {
        (byte[] code, AssemblerResult result) = Assemble(assembler, addr);
        int pages = (int)((ulong)(code.Length + (int)Page - 1) / Page);
        FileRange fr = Allocate(pages);
        code.CopyTo(Bytes(fr));
        Assert.Null(space.MapFile(new Addr(addr), Memory, fr, AccessType.ReadExecute, precommit: false));
        return (fr, result);
    }

    public static (byte[] Code, AssemblerResult Result) Assemble(Assembler assembler, ulong addr)
    {
        var stream = new MemoryStream();
        AssemblerResult result = assembler.Assemble(new StreamCodeWriter(stream), addr, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return (stream.ToArray(), result);
    }

    /// <summary>Whether a process (or zombie) with this pid exists.</summary>
    public static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Whether some thread of process <paramref name="pid"/> is running ('R' in its /proc stat), rather than stopped or asleep.</summary>
    public static bool AnyThreadRunning(int pid)
    {
        try
        {
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                if (stat[stat.LastIndexOf(')') + 2] == 'R')
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            // The process or a thread went away while being read.
        }
        return false;
    }

    /// <summary>The CPUs a thread of this process may run on, from /proc (the Cpus_allowed_list line).</summary>
    public static string AllowedCpus(string taskDirectory) =>
        File.ReadAllLines(Path.Combine(taskDirectory, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))[18..].Trim();

    public void Dispose()
    {
        Platform.Dispose();
        Memory.Destroy();
        // A switch leaves the calling thread bound to its CPU; give the test runner's thread back.
        TracerAffinity.Release();
    }
}
