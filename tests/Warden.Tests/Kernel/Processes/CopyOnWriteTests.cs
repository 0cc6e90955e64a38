using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Warden.Tests.Kernel.Processes;

/// <summary>
/// fork is copy-on-write: a child of a process with a 64 MiB touched heap shares it, and the
/// memory file (the host memory behind every process of the sandbox) grows, while the child is
/// alive, only by the pages the child writes, not by the heap.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class CopyOnWriteTests(ITestOutputHelper output) : IDisposable
{
    private const int PageSize = 4096;
    private const int HeapBytes = 64 << 20;

    // cow_heap.c's child writes this many pages, one every 16 pages of the heap.
    private const int ChildPages = 1000;

    // What else may become private between the two measurements: the child's stack, its stdio
    // buffers and data, the parent's stack, and whatever a fault rounds up around them. Far less
    // than the heap (16,384 pages), or a copy of it in huge pages (one per 16 pages written).
    private const ulong Slack = 4UL << 20;

    private static readonly NativeTestProgram s_program = new("cow_heap.c", "the copy-on-write test program");

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-cow-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void ForkOfATouchedHeapCopiesOnlyThePagesTheChildWrites()
    {
        KernelRunner.RequirePtrace();
        string program = s_program.Path;
        // First, both lines of input at once: the output is the native run's.
        var spec = new RunSpec(program, [program]) { WorkingDirectory = _dir, Stdin = "\n\n"u8.ToArray() };
        RunResult native = NativeRunner.Run(spec);
        Assert.Equal(0, native.ShellStatus);
        Assert.Equal(
            "touched 64 MiB\n" +
            $"child wrote {ChildPages} pages (0 read wrong)\n" +
            "child exited with 0; parent's pages changed by the child: 0\n",
            native.StdoutText);
        RunResult.AssertSame(native, KernelRunner.Run(spec));

        // Then step by step, measuring the memory file while the child is alive.
        ulong beforeFork = 0, childWritten = 0;
        (RunResult warden, Warden.Kernel.KernelStats stats) = InteractiveKernelRunner.Run(spec with { Stdin = null }, talk =>
        {
            Assert.Equal("touched 64 MiB", talk.ReadLine());
            beforeFork = talk.Usage();
            talk.WriteLine("");
            Assert.Equal($"child wrote {ChildPages} pages (0 read wrong)", talk.ReadLine());
            childWritten = talk.Usage();
            talk.WriteLine("");
        });
        RunResult.AssertSame(native, warden);

        output.WriteLine($"memory file: {beforeFork} bytes before the fork, {childWritten} with the child's pages written; {stats.CopyOnWriteBreaks} copy-on-write breaks");
        Assert.True(beforeFork >= HeapBytes, $"before the fork the memory file holds {beforeFork} bytes, less than the touched heap");
        ulong growth = childWritten > beforeFork ? childWritten - beforeFork : 0;
        ulong written = (ulong)ChildPages * PageSize;
        Assert.True(growth >= written,
            $"the memory file grew by {growth} bytes while the child wrote {written}: the child's pages are not its own");
        Assert.True(growth <= written + Slack,
            $"the memory file grew by {growth} bytes (from {beforeFork} to {childWritten}) while the child wrote {ChildPages} pages ({written} bytes): fork copied more than copy-on-write does");

        // The kernel's own count agrees: about as many copy-on-write breaks as pages the child wrote.
        Assert.InRange(stats.CopyOnWriteBreaks, ChildPages, ChildPages + (long)(Slack / PageSize));
    }
}
