using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Xunit;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// A C program of the test suite (in a <c>native</c> folder beside the test that uses it), built
/// with <c>gcc -static -O1</c> once per test run, into a temporary directory named by the source's
/// hash, so that test processes running at once share one build.
/// </summary>
/// <param name="sourceName">The file name in the <c>native</c> folder, e.g. <c>oracle_child.c</c>.</param>
/// <param name="purpose">What the program is for, as the skip or failure message names it.</param>
/// <param name="callerFile">The declaring test's file (filled in by the compiler): the <c>native</c> folder is beside it.</param>
public sealed class NativeTestProgram(string sourceName, string purpose, [CallerFilePath] string callerFile = "")
{
    private readonly object _lock = new();
    private string? _path;

    /// <summary>The compiled program's path; skips the calling test without gcc (fails it in CI).</summary>
    public string Path
    {
        get
        {
            Prerequisite.Require(CHeaderProbe.Gcc is not null, $"gcc (to build {purpose})");
            lock (_lock)
            {
                return _path ??= Build();
            }
        }
    }

    private string Build()
    {
        string source = FindSource();
        byte[] hash = SHA256.HashData(File.ReadAllBytes(source));
        string name = System.IO.Path.GetFileNameWithoutExtension(sourceName);
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"warden-{name.Replace('_', '-')}-{Convert.ToHexString(hash, 0, 8).ToLowerInvariant()}");
        string exe = System.IO.Path.Combine(dir, name);
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

    // Beside the declaring test's source when the tree is where it was compiled; otherwise found
    // above the test assembly by the same path relative to the repository.
    private string FindSource()
    {
        string near = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(callerFile) ?? ".", "native", sourceName);
        if (File.Exists(near))
        {
            return near;
        }
        // The test's folder relative to the repository: what follows tests/Warden.Tests/ in its path.
        string testsRoot = System.IO.Path.Combine("tests", "Warden.Tests") + System.IO.Path.DirectorySeparatorChar;
        string callerDir = System.IO.Path.GetDirectoryName(callerFile) ?? "";
        int at = (callerDir + System.IO.Path.DirectorySeparatorChar).LastIndexOf(testsRoot, StringComparison.Ordinal);
        string folder = at < 0 ? System.IO.Path.GetFileName(callerDir) : callerDir[Math.Min(callerDir.Length, at + testsRoot.Length)..];
        string relative = System.IO.Path.Combine(testsRoot, folder, "native", sourceName);
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
