using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Kernel.Tasks;
using Warden.PgAlloc;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;
using KernelOptions = Warden.Kernel.KernelOptions;
using KernelStats = Warden.Kernel.KernelStats;
using WardenKernel = Warden.Kernel.Kernel;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// Runs a program under Warden while the test talks with it: the test reads the lines it writes
/// to standard output as they come, writes lines to its standard input, and meanwhile looks at
/// the run's memory file, for what can only be seen while the program is alive (the memory a
/// forked child shares). After the run it checks what <see cref="KernelRunner"/> checks: the
/// memory file empty, no stub child, no new descriptor.
/// </summary>
internal static class InteractiveKernelRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The test's side of a running program.</summary>
    internal sealed class Conversation
    {
        private readonly BlockingCollection<string> _lines;
        private readonly FileStream _stdin;
        private readonly TimeSpan _timeout;

        internal Conversation(BlockingCollection<string> lines, FileStream stdin, MemoryFile memory, TimeSpan timeout)
        {
            _lines = lines;
            _stdin = stdin;
            Memory = memory;
            _timeout = timeout;
        }

        /// <summary>The run's memory file (application memory of every process of the sandbox).</summary>
        public MemoryFile Memory { get; }

        /// <summary>The next line the program writes to standard output (without its newline); fails the test if the output ends first.</summary>
        public string ReadLine()
        {
            if (!_lines.TryTake(out string? line, _timeout))
            {
                Assert.Fail(_lines.IsAddingCompleted ? "the program's standard output ended" : $"the program wrote no further line within {_timeout}");
            }
            return line!;
        }

        /// <summary>Writes <paramref name="line"/> and a newline to the program's standard input.</summary>
        public void WriteLine(string line)
        {
            _stdin.Write(Encoding.UTF8.GetBytes(line + "\n"));
            _stdin.Flush();
        }

        /// <summary>The bytes of host memory the memory file holds now (committed pages).</summary>
        public ulong Usage()
        {
            (ulong usage, Error? error) = Memory.TotalUsage();
            Assert.Null(error);
            return usage;
        }
    }

    /// <summary>
    /// Runs <paramref name="spec"/> under Warden, calling <paramref name="converse"/> on this thread
    /// while it runs; returns its result (all of its standard output, the lines read included) and
    /// what the kernel counted.
    /// </summary>
    /// <remarks><paramref name="spec"/>'s <see cref="RunSpec.Stdin"/> and <see cref="RunSpec.StdinFile"/> are not used: standard input is the conversation's.</remarks>
    public static (RunResult Result, KernelStats Stats) Run(RunSpec spec, Action<Conversation> converse)
    {
        KernelRunner.RequirePtrace();
        Dictionary<int, string> fdsBefore = ProcessResources.OpenFds();
        (RunResult result, KernelStats stats) = RunOnce(spec, converse);
        ProcessResources.AssertNoStubChildren();
        ProcessResources.AssertNoNewFds(fdsBefore);
        return (result, stats);
    }

    private static (RunResult, KernelStats) RunOnce(RunSpec spec, Action<Conversation> converse)
    {
        (MemoryFile? memory, Error? error) = MemoryFile.Create(1UL << 36);
        Assert.Null(error);
        try
        {
            (PtracePlatform? platform, error) = PtracePlatform.Create(memory!);
            Assert.True(error is null, $"PtracePlatform.Create: {error?.Message}");
            using var stdin = HostPipe.Create();
            using var stdout = HostPipe.Create();
            using var stderr = HostPipe.Create();
            var lines = new BlockingCollection<string>();
            var output = new MemoryStream();
            Thread outReader = StartLineReader(stdout.Read, output, lines);
            var errors = new MemoryStream();
            Thread errReader = StartReader(stderr.Read, errors);

            var options = new KernelOptions
            {
                Root = spec.Root ?? "/",
                WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
                Stdin = stdin.Read,
                Stdout = stdout.Write,
                Stderr = stderr.Write,
                Strace = spec.Strace,
            };
            (WardenKernel? kernel, error) = WardenKernel.Create(platform!, options);
            Assert.True(error is null, $"Kernel.Create: {error?.Message}");
            ExitStatus status;
            using (kernel)
            {
                var run = BackgroundRun.Start(kernel!, spec);
                try
                {
                    using var input = new FileStream(stdin.Write, FileAccess.Write, 1);
                    converse(new Conversation(lines, input, memory!, spec.Timeout));
                }
                finally
                {
                    // The end of input lets a program still reading it finish; if it does not
                    // within the timeout, disposing the platform kills its stubs.
                    stdin.Write.Dispose();
                    if (!run.Thread.Join(spec.Timeout))
                    {
                        platform!.Dispose();
                        run.Thread.Join(DrainTimeout);
                    }
                }
                Assert.True(run.Crash is null, $"Kernel.Run threw running {string.Join(' ', spec.Argv)}: {run.Crash}");
                Assert.True(run.Error is null, $"Kernel.Run could not start {spec.Program}: {run.Error?.Message}");
                status = run.Status;
            }
            stdout.Write.Dispose();
            stderr.Write.Dispose();
            stdin.Read.Dispose();
            Assert.True(outReader.Join(DrainTimeout), "the program's stdout never reached its end");
            Assert.True(errReader.Join(DrainTimeout), "the program's stderr never reached its end");
            KernelStats stats = kernel!.Stats;

            platform!.Dispose();
            TracerAffinity.Release();
            Assert.Null(memory!.UpdateUsage());
            (ulong usage, error) = memory.TotalUsage();
            Assert.Null(error);
            Assert.True(usage == 0, $"the memory file still holds {usage} bytes after the run");
            return (new RunResult(status.ShellStatus, output.ToArray(), errors.ToArray()) { Signal = status.Signal }, stats);
        }
        finally
        {
            memory!.Destroy();
        }
    }

    // Reads a pipe to its end, keeping every byte and handing each complete line to `lines`
    // (the end of the output completes it).
    private static Thread StartLineReader(SafeFileHandle read, MemoryStream all, BlockingCollection<string> lines)
    {
        var thread = new Thread(() =>
        {
            var line = new List<byte>();
            var buffer = new byte[1 << 16];
            using var stream = new FileStream(read, FileAccess.Read, 1);
            try
            {
                int n;
                while ((n = stream.Read(buffer)) > 0)
                {
                    all.Write(buffer, 0, n);
                    for (int i = 0; i < n; i++)
                    {
                        if (buffer[i] == (byte)'\n')
                        {
                            lines.Add(Encoding.UTF8.GetString([.. line]));
                            line.Clear();
                        }
                        else
                        {
                            line.Add(buffer[i]);
                        }
                    }
                }
            }
            finally
            {
                lines.CompleteAdding();
            }
        })
        { IsBackground = true, Name = "stdout line reader" };
        thread.Start();
        return thread;
    }

    private static Thread StartReader(SafeFileHandle read, MemoryStream all)
    {
        var thread = new Thread(() =>
        {
            using var stream = new FileStream(read, FileAccess.Read, 1);
            stream.CopyTo(all, 1 << 16);
        })
        { IsBackground = true, Name = "stderr reader" };
        thread.Start();
        return thread;
    }
}
