using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Kernel.Tasks;
using Warden.PgAlloc;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;
using WardenKernel = Warden.Kernel.Kernel;
using KernelOptions = Warden.Kernel.KernelOptions;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// Runs a <see cref="RunSpec"/> under Warden in this process: a fresh memory file, ptrace platform
/// and kernel for each run, standard input from a pipe (or a file), standard output and error
/// captured through pipes read on their own threads (so a big output cannot block the program).
/// </summary>
/// <remarks>
/// <para>A run that outlives its timeout fails the test after being killed (the platform is
/// disposed, which kills its stubs).</para>
/// <para>After every run it asserts that Warden cleaned up: the memory file's usage is back to
/// zero before it is destroyed, no stub child of this process is left, and no descriptor is open
/// that was not open before the run.</para>
/// </remarks>
internal static class KernelRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(20);
    private static readonly Lock s_warmUpLock = new();
    private static bool s_warmedUp;

    /// <summary>Skips (or in CI fails) the test where this process may not ptrace its children.</summary>
    public static void RequirePtrace()
    {
        Error? unsupported = PtracePlatform.CheckSupported();
        Prerequisite.Require(unsupported is null, $"permission to ptrace child processes ({unsupported?.Message})");
    }

    /// <summary>Runs <paramref name="spec"/> under Warden and checks what it left behind.</summary>
    public static RunResult Run(RunSpec spec)
    {
        RequirePtrace();
        WarmUp();
        Dictionary<int, string> fdsBefore = ProcessResources.OpenFds();
        RunResult result = RunOnce(spec);
        ProcessResources.AssertNoStubChildren();
        ProcessResources.AssertNoNewFds(fdsBefore);
        return result;
    }

    /// <summary>
    /// Once per test process, runs a trivial program natively and under Warden without checking
    /// descriptors: what is opened once for the process's lifetime (the stub's memfd, the
    /// runtime's child-process machinery) must not count as a run's leak.
    /// </summary>
    private static void WarmUp()
    {
        lock (s_warmUpLock)
        {
            if (s_warmedUp)
            {
                return;
            }
            string dir = Directory.CreateTempSubdirectory("warden-warmup-").FullName;
            try
            {
                string exit0 = System.IO.Path.Combine(dir, "exit0");
                File.WriteAllBytes(exit0, Loader.ElfBuilder.Standard().Build());
                File.SetUnixFileMode(exit0, UnixFileMode.UserRead | UnixFileMode.UserExecute);
                var spec = new RunSpec(exit0, [exit0]) { WorkingDirectory = dir };
                Assert.Equal(0, NativeRunner.Run(spec).ShellStatus);
                Assert.Equal(0, RunOnce(spec).ShellStatus);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
            s_warmedUp = true;
        }
    }

    private static RunResult RunOnce(RunSpec spec)
    {
        (MemoryFile? memory, Error? error) = MemoryFile.Create(1UL << 36);
        Assert.Null(error);
        bool destroyed = false;
        try
        {
            (PtracePlatform? platform, error) = PtracePlatform.Create(memory!);
            Assert.True(error is null, $"PtracePlatform.Create: {error?.Message}");
            using var stdout = HostPipe.Create();
            using var stderr = HostPipe.Create();
            using var stdin = spec.StdinFile is null ? HostPipe.Create() : null;
            using SafeFileHandle? stdinFile = spec.StdinFile is string path ? File.OpenHandle(path) : null;
            var outReader = new PipeReader(stdout.Read, "stdout");
            var errReader = new PipeReader(stderr.Read, "stderr");
            Thread? feeder = stdin is null ? null : StartFeeder(stdin.Write, spec.Stdin ?? []);

            ExitStatus status;
            try
            {
                status = RunKernel(spec, platform!, stdinFile ?? stdin!.Read, stdout.Write, stderr.Write);
            }
            catch
            {
                platform!.Dispose();
                TracerAffinity.Release();
                throw;
            }
            // The kernel has closed its copies: once ours are closed the readers see the end.
            stdout.Write.Dispose();
            stderr.Write.Dispose();
            stdin?.Read.Dispose();
            byte[] output = outReader.Finish(DrainTimeout);
            byte[] errors = errReader.Finish(DrainTimeout);
            feeder?.Join(DrainTimeout);

            platform!.Dispose();
            TracerAffinity.Release();
            Assert.Null(memory!.UpdateUsage());
            (ulong usage, error) = memory.TotalUsage();
            Assert.Null(error);
            Assert.True(usage == 0, $"the memory file still holds {usage} bytes after the run");
            Assert.True(memory.Accounting.Total() == 0, $"the memory file's accounting still counts {memory.Accounting.Total()} bytes after the run");
            memory.Destroy();
            destroyed = true;
            return new RunResult(status.ShellStatus, output, errors) { Signal = status.Signal };
        }
        finally
        {
            if (!destroyed)
            {
                memory!.Destroy();
            }
        }
    }

    private static ExitStatus RunKernel(RunSpec spec, PtracePlatform platform, SafeFileHandle stdin, SafeFileHandle stdout, SafeFileHandle stderr)
    {
        var options = new KernelOptions
        {
            Root = spec.Root ?? "/",
            ReadOnly = spec.ReadOnly,
            WorkingDirectory = spec.WorkingDirectory ?? (spec.Root is null ? Environment.CurrentDirectory : "/"),
            Stdin = stdin,
            Stdout = stdout,
            Stderr = stderr,
            Strace = spec.Strace,
        };
        (WardenKernel? kernel, Error? error) = WardenKernel.Create(platform, options);
        Assert.True(error is null, $"Kernel.Create: {error?.Message}");
        using (kernel)
        {
            var run = BackgroundRun.Start(kernel!, spec);
            if (!run.Thread.Join(spec.Timeout))
            {
                // Disposing the platform kills the stubs, which ends the program's tasks.
                platform.Dispose();
                run.Thread.Join(DrainTimeout);
                Assert.Fail($"{string.Join(' ', spec.Argv)} under Warden took longer than {spec.Timeout} and was killed.");
            }
            if (run.Crash is not null)
            {
                throw new InvalidOperationException($"Kernel.Run threw running {string.Join(' ', spec.Argv)}", run.Crash);
            }
            Assert.True(run.Error is null, $"Kernel.Run could not start {spec.Program}: {run.Error?.Message}");
            return run.Status;
        }
    }

    private static Thread StartFeeder(SafeFileHandle write, byte[] input)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var stream = new FileStream(write, FileAccess.Write, 1);
                stream.Write(input);
            }
            catch (IOException)
            {
                // The program stopped reading (EPIPE): as a native pipeline's writer would, stop.
            }
        })
        { IsBackground = true, Name = "stdin feeder" };
        thread.Start();
        return thread;
    }

    /// <summary>Reads a pipe to its end on a thread of its own.</summary>
    private sealed class PipeReader
    {
        private readonly MemoryStream _bytes = new();
        private readonly Thread _thread;
        private readonly string _name;
        private Exception? _failure;

        public PipeReader(SafeFileHandle read, string name)
        {
            _name = name;
            _thread = new Thread(() =>
            {
                try
                {
                    using var stream = new FileStream(read, FileAccess.Read, 1);
                    stream.CopyTo(_bytes, 1 << 16);
                }
                catch (Exception e)
                {
                    _failure = e;
                }
            })
            { IsBackground = true, Name = $"{name} reader" };
            _thread.Start();
        }

        public byte[] Finish(TimeSpan timeout)
        {
            Assert.True(_thread.Join(timeout), $"the program's {_name} pipe never reached its end: some copy of its write end is still open");
            if (_failure is not null)
            {
                throw new IOException($"reading the program's {_name} failed", _failure);
            }
            return _bytes.ToArray();
        }
    }
}
