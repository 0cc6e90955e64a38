using System.Runtime.ExceptionServices;
using Warden.Errors;
using Warden.Kernel;
using Warden.Kernel.Loader;
using Warden.Kernel.Tasks;
using Warden.PgAlloc;
using Warden.Platforms.Ptrace;
using KernelSignal = Warden.Kernel.Signals.Signal;

namespace Warden.Cli;

/// <summary>
/// The core of <c>warden run</c>: checks the options, finds the program, runs it on a kernel over
/// the ptrace platform, passes signals on, and turns its end into Warden's exit status and words.
/// </summary>
internal static class ProgramRunner
{
    /// <summary>How long Warden waits for the program to end after passing it SIGINT, SIGTERM or SIGHUP.</summary>
    public static readonly TimeSpan SignalGracePeriod = TimeSpan.FromSeconds(2);

    // The memory file's size limit: address space for the program's memory, not memory itself.
    private const ulong MemoryFileSize = 1UL << 36;

    /// <summary>Runs the program <paramref name="options"/> describe (the demonstration if none) and waits for it to end.</summary>
    /// <param name="options">What to run and how.</param>
    /// <param name="stderr">Where Warden's own words go (errors, the shell's message, <c>--strace</c>, <c>--maps</c>, <c>--stats</c>).</param>
    /// <returns>
    /// The program's exit status, or 128 + the signal that killed it; 125 if Warden could not run
    /// it, 126 if it cannot be executed, 127 if it does not exist.
    /// </returns>
    public static int RunProgram(RunOptions options, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stderr);
        if (options.Platform != RunOptions.PtracePlatform)
        {
            return Fail(stderr, $"--platform: unknown platform '{options.Platform}' (choices: {RunOptions.PtracePlatform})");
        }
        (IReadOnlyList<string> environment, string? badSetting) = ProgramEnvironment.Build(
            options.BaseEnvironment ?? ProgramEnvironment.Current(), options.ClearEnvironment, options.Environment);
        if (badSetting is not null)
        {
            return Fail(stderr, $"--env: '{badSetting}' is not NAME=VALUE");
        }

        (SandboxExecutableProbe? probe, Errno? rootError) = SandboxExecutableProbe.Create(options.Root);
        if (rootError is not null)
        {
            return Fail(stderr, $"--root: cannot open '{options.Root}': {rootError.Description}");
        }
        string workingDirectory;
        string path;
        using (probe)
        {
            workingDirectory = SandboxWorkingDirectory(probe!.RootHostPath, System.Environment.CurrentDirectory);
            if (options.Program is string program)
            {
                (string? found, Errno? lookupError) = PathLookup.Resolve(
                    program, options.SearchPath ?? System.Environment.GetEnvironmentVariable("PATH"), workingDirectory, probe);
                if (lookupError is not null)
                {
                    stderr.WriteLine($"warden: {program}: command not found");
                    return ShellStatus.NotFound;
                }
                path = found!;
            }
            else
            {
                path = DemoOpener.Path;
            }
        }

        Error? unsupported = PtracePlatform.CheckSupported();
        if (unsupported is not null)
        {
            return Fail(stderr, $"the ptrace platform cannot run programs here: {unsupported.Message}");
        }

        DemoOpener? demo = null;
        if (options.Program is null)
        {
            (demo, Errno? demoError) = DemoOpener.Create(DemoProgram.Build());
            if (demoError is not null)
            {
                return Fail(stderr, $"cannot make the demonstration program: {demoError.Description}");
            }
        }
        using (demo)
        {
            TextWriter? strace = null;
            if (options.StraceFile is string straceFile)
            {
                try
                {
                    strace = TextWriter.Synchronized(new StreamWriter(straceFile, append: false));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return Fail(stderr, $"--strace-file: cannot open '{straceFile}': {e.Message}");
                }
            }
            try
            {
                var kernelOptions = new KernelOptions
                {
                    Root = options.Root,
                    ReadOnly = options.ReadOnly,
                    WorkingDirectory = workingDirectory,
                    Stdin = options.Stdin,
                    Stdout = options.Stdout,
                    Stderr = options.Stderr,
                    Strace = strace ?? (options.Strace ? stderr : null),
                    Diagnostics = new SilenceableWriter(stderr),
                    CaptureFinalMaps = options.Maps,
                };
                string[] argv = [options.Program ?? "warden-demo", .. options.Arguments];
                return RunOnPlatform(options, kernelOptions, path, argv, environment, demo, stderr);
            }
            finally
            {
                strace?.Dispose();
            }
        }
    }

    /// <summary>
    /// The program's working directory inside the sandbox, as the kernel would choose it: Warden's
    /// own when the root is <c>/</c>; the same directory seen from inside when it lies under the root;
    /// otherwise <c>/</c>.
    /// </summary>
    public static string SandboxWorkingDirectory(string rootHostPath, string hostWorkingDirectory)
    {
        ArgumentNullException.ThrowIfNull(rootHostPath);
        ArgumentNullException.ThrowIfNull(hostWorkingDirectory);
        if (rootHostPath == "/")
        {
            return hostWorkingDirectory;
        }
        string root = rootHostPath.TrimEnd('/');
        return hostWorkingDirectory.StartsWith(root + "/", StringComparison.Ordinal) ? hostWorkingDirectory[root.Length..] : "/";
    }

    private static int RunOnPlatform(
        RunOptions options, KernelOptions kernelOptions, string path, string[] argv, IReadOnlyList<string> environment,
        IExecutableOpener? opener, TextWriter stderr)
    {
        (MemoryFile? memory, Error? error) = MemoryFile.Create(MemoryFileSize);
        if (error is not null)
        {
            return Fail(stderr, $"cannot create the memory file: {error.Message}");
        }
        // Set when the program is left running after a signal: its tasks may still touch the memory
        // file, so it is left for the process's exit to free.
        bool abandoned = false;
        PtracePlatform? platform = null;
        try
        {
            (platform, error) = PtracePlatform.Create(memory!);
            if (error is not null)
            {
                return Fail(stderr, error.Message);
            }
            (Kernel.Kernel? kernel, error) = Kernel.Kernel.Create(platform!, kernelOptions);
            if (error is not null)
            {
                return Fail(stderr, error.Message);
            }
            (ExitStatus status, Error? runError, bool ended, int signal) = RunForwardingSignals(kernel!, path, argv, environment, opener);
            if (!ended)
            {
                abandoned = true;
                ((SilenceableWriter)kernelOptions.Diagnostics!).Silence();
                stderr.WriteLine(
                    $"warden: the program has not ended {SignalGracePeriod.TotalSeconds:0} s after {KernelSignal.Name(signal)}; stopping it");
                return 128 + signal;
            }
            using (kernel)
            {
                if (runError is not null)
                {
                    stderr.WriteLine($"warden: {argv[0]}: {ShellStatus.Describe(runError)}");
                    return ShellStatus.ForStartError(runError);
                }
                Report(options, kernel!, status, stderr);
                return status.ShellStatus;
            }
        }
        finally
        {
            // Kills and reaps every stub, whatever happened above.
            platform?.Dispose();
            if (!abandoned)
            {
                memory!.Destroy();
            }
        }
    }

    /// <summary>
    /// Runs the program on its own thread, passing SIGINT, SIGTERM and SIGHUP on to it, until it
    /// ends or <see cref="SignalGracePeriod"/> after the first such signal.
    /// </summary>
    /// <returns>What <see cref="Kernel.Kernel.Run"/> returned, if <c>Ended</c>; otherwise the first signal.</returns>
    private static (ExitStatus Status, Error? Error, bool Ended, int Signal) RunForwardingSignals(
        Kernel.Kernel kernel, string path, string[] argv, IReadOnlyList<string> environment, IExecutableOpener? opener)
    {
        ExitStatus status = default;
        Error? error = null;
        ExceptionDispatchInfo? failure = null;
        // Not disposed if the program is abandoned: the thread may still set it.
        var done = new ManualResetEvent(initialState: false);
        var thread = new Thread(() =>
        {
            try
            {
                (status, error) = kernel.Run(path, argv, environment, opener);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                done.Set();
            }
        })
        {
            IsBackground = true,
            Name = "warden: program",
        };
        using (var forwarder = new SignalForwarder(kernel.Signal))
        {
            thread.Start();
            if (WaitHandle.WaitAny([done, forwarder.Received]) == 1 && !done.WaitOne(SignalGracePeriod))
            {
                return (default, null, false, forwarder.FirstSignal);
            }
        }
        thread.Join();
        done.Dispose();
        failure?.Throw();
        return (status, error, true, 0);
    }

    // What is printed after the program ends: the shell's words for its death, the final map, the
    // table, and for the demonstration what the kernel did.
    private static void Report(RunOptions options, Kernel.Kernel kernel, ExitStatus status, TextWriter stderr)
    {
        if (ShellStatus.Message(status) is string message)
        {
            stderr.WriteLine(message);
        }
        if (options.Maps)
        {
            stderr.WriteLine($"warden: the memory map of {options.Program ?? "warden-demo"} when it ended (/proc/PID/maps):");
            stderr.Write(kernel.FinalMaps ?? "(none captured)\n");
        }
        if (options.Stats)
        {
            StatsTable.Write(kernel.Stats, stderr);
        }
        if (options.Program is null)
        {
            long calls = 0;
            foreach (KernelStats.SyscallCount count in kernel.Stats.SyscallCounts())
            {
                calls += count.Count;
            }
            stderr.WriteLine(
                $"warden: the demo made {calls} system calls, every one served by Warden's kernel, which also served its {kernel.Stats.Faults} page faults.");
            stderr.WriteLine("warden: add --strace or --stats to see them, or run your own: warden run [options] [--] PROGRAM [ARGS...]");
        }
        stderr.Flush();
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"warden: {message}");
        return ShellStatus.WardenFailed;
    }
}
