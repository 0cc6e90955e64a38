using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using Warden.Errors;
using Warden.Interop;

namespace Warden.Benchmarks;

/// <summary>
/// The comparison figures for <see cref="PtraceBenchmarks"/>: <c>bench/native/getpid_loop.c</c>,
/// built with <c>gcc -static</c>, run natively and under gVisor
/// (<c>runsc --network=none --platform=ptrace do</c>), best of three runs each, printed into the
/// benchmark log once per process.
/// </summary>
/// <remarks>
/// <para>
/// The program times its own loop with <c>CLOCK_MONOTONIC</c> (after a warm-up), so neither the
/// process's nor the sandbox's start-up is counted: the figure is the cost of one system call round
/// trip, as <c>SyscallRoundTrip</c> measures Warden's.
/// </para>
/// <para>
/// The programs are started with <c>posix_spawn</c> through <c>/bin/sh</c> (for the output
/// redirection), not <c>System.Diagnostics.Process</c>: starting a <c>Process</c> makes the runtime
/// handle <c>SIGCHLD</c> for the rest of the process's life, and every ptrace stop of a stub sends
/// its tracer's process a <c>SIGCHLD</c>, so that would tax every round trip measured afterwards.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class PtraceGvisorComparison
{
    private const int Runs = 3;
    private const long NativeCalls = 2_000_000;
    private const long GvisorCalls = 100_000;

    private static int s_printed;

    /// <summary>Measures and prints the figures as <c>//</c> lines, the first time it is called in this process.</summary>
    public static void PrintOnce()
    {
        if (Interlocked.Exchange(ref s_printed, 1) == 0)
        {
            Console.WriteLine(Measure());
        }
    }

    private static string Measure()
    {
        string? gcc = FindOnPath("gcc");
        if (gcc is null)
        {
            return "// gVisor comparison skipped: gcc is not on PATH.";
        }
        string dir = Directory.CreateTempSubdirectory("warden-ptrace-bench-").FullName;
        try
        {
            string exe = Path.Combine(dir, "getpid_loop");
            int status = Run($"'{gcc}' -O2 -static -o '{exe}' '{FindSource("getpid_loop.c")}'");
            if (status != 0)
            {
                return $"// gVisor comparison skipped: gcc -static failed (status {status}); is libc6-dev installed?";
            }
            var lines = new List<string>();
            double? native = BestOf(dir, $"'{exe}' {NativeCalls}");
            lines.Add(native is null
                ? "// native getpid loop: failed"
                : $"// native getpid loop: {native.Value:F1} ns per system call (best of {Runs}, {NativeCalls} calls)");
            string? runsc = FindOnPath("runsc");
            if (runsc is null)
            {
                lines.Add("// gVisor: skipped, runsc is not on PATH (apt-get install runsc).");
            }
            else
            {
                double? gvisor = BestOf(dir, $"'{runsc}' --network=none --platform=ptrace do '{exe}' {GvisorCalls}");
                lines.Add(gvisor is null
                    ? "// gVisor (runsc --platform=ptrace): failed to run (runsc needs root, or --rootless)"
                    : $"// gVisor (runsc --platform=ptrace): {gvisor.Value / 1000:F2} us per system call (best of {Runs}, {GvisorCalls} calls)");
            }
            return string.Join(Environment.NewLine, lines);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Runs the command (which prints ns per call) Runs times; the smallest figure, or null on failure.
    private static double? BestOf(string dir, string command)
    {
        string output = Path.Combine(dir, "out.txt");
        double? best = null;
        for (int i = 0; i < Runs; i++)
        {
            if (Run($"{command} > '{output}'") != 0)
            {
                return null;
            }
            if (!double.TryParse(File.ReadAllText(output).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double ns))
            {
                return null;
            }
            best = best is null ? ns : Math.Min(best.Value, ns);
        }
        return best;
    }

    // Runs a shell command line with this process's environment; its exit status (-1 if it could not start).
    private static int Run(string commandLine)
    {
        var environment = new List<string>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{variable.Key}={variable.Value}");
        }
        (int pid, Errno? error) = Libc.PosixSpawn("/bin/sh", ["sh", "-c", commandLine], environment.ToArray());
        if (error is not null)
        {
            return -1;
        }
        (_, int status, Errno? waitError) = Libc.Waitpid(pid, 0);
        return waitError is null && Libc.WIFEXITED(status) ? Libc.WEXITSTATUS(status) : -1;
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    // bench/native beside this file's folder at build time; else searched for upwards from the working directory.
    private static string FindSource(string name, [CallerFilePath] string thisFile = "")
    {
        string? dir = Path.GetDirectoryName(thisFile);
        if (dir is not null && File.Exists(Path.Combine(dir, "..", "native", name)))
        {
            return Path.GetFullPath(Path.Combine(dir, "..", "native", name));
        }
        for (string? d = Directory.GetCurrentDirectory(); d is not null; d = Path.GetDirectoryName(d))
        {
            string candidate = Path.Combine(d, "bench", "native", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"bench/native/{name} not found; run from the repository.");
    }
}
