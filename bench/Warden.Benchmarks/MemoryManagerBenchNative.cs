using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Warden.Benchmarks;

/// <summary>
/// Builds and runs <c>bench/native/fork_bench.c</c>, the Linux baseline for fork and first-write-after-fork
/// (.NET cannot fork), once per process; its figures are printed into the benchmark log.
/// </summary>
internal static class MemoryManagerBenchNative
{
    private static readonly Lazy<string> ForkBenchOutput = new(BuildAndRunForkBench);

    /// <summary>fork_bench's output (64 MiB region): lines "name median_ns mean_ns".</summary>
    public static string ForkBench => ForkBenchOutput.Value;

    private static string BuildAndRunForkBench()
    {
        string source = FindSource("fork_bench.c");
        string dir = Path.Combine(AppContext.BaseDirectory, "native");
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "fork_bench");
        Run("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", exe, source]);
        return Run(exe, ["64", "30"]);
    }

    private static string Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {file}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {stderr.Result}");
        }
        return stdout;
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
