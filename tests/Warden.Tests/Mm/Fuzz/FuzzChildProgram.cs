using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>
/// Builds <c>native/fuzz_child.c</c> with <c>gcc -static -O1</c> once per test run (into a temporary
/// directory named by the source's hash) for <see cref="FuzzChild"/>.
/// </summary>
public static class FuzzChildProgram
{
    private const string SourceName = "fuzz_child.c";
    private static readonly object s_lock = new();
    private static string? s_path;

    /// <summary>The compiled program's path; skips the calling test without gcc (fails it in CI).</summary>
    public static string Path
    {
        get
        {
            Prerequisite.Require(CHeaderProbe.Gcc is not null, "gcc (to build the kernel fuzzer's child process)");
            lock (s_lock)
            {
                return s_path ??= Build();
            }
        }
    }

    private static string Build()
    {
        string source = FindSource();
        byte[] hash = SHA256.HashData(File.ReadAllBytes(source));
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "warden-fuzz-child-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant());
        string exe = System.IO.Path.Combine(dir, "fuzz_child");
        if (File.Exists(exe))
        {
            return exe;
        }
        Directory.CreateDirectory(dir);
        string temp = exe + "." + Environment.ProcessId + ".tmp";
        var start = new ProcessStartInfo(CHeaderProbe.Gcc!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["-std=gnu11", "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o", temp, source])
        {
            start.ArgumentList.Add(argument);
        }
        using Process gcc = Process.Start(start) ?? throw new InvalidOperationException("Could not start gcc.");
        Task<string> output = gcc.StandardOutput.ReadToEndAsync();
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, $"gcc failed to build {source} ({gcc.ExitCode}):\n{output.Result}{errors}");
        // Another test process may have built it meanwhile: the rename makes either result whole.
        File.Move(temp, exe, overwrite: true);
        return exe;
    }

    private static string FindSource([CallerFilePath] string thisFile = "")
    {
        string near = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(thisFile) ?? ".", "native", SourceName);
        if (File.Exists(near))
        {
            return near;
        }
        string relative = System.IO.Path.Combine("tests", "Warden.Tests", "Mm", "Fuzz", "native", SourceName);
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"Cannot find {relative} above {AppContext.BaseDirectory}.");
    }
}
