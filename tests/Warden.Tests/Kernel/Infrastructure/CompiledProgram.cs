using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// C programs built by this machine's gcc for the kernel's tests, cached by source and flags in the
/// temporary directory; a test without gcc or a static C library skips (fails in CI), naming it.
/// </summary>
internal static class CompiledProgram
{
    private static readonly object s_lock = new();

    // Compiles `source` once per content and flags into a temporary directory named by their hash.
    public static string Build(string name, string source, string[] flags)
    {
        Prerequisite.Require(CHeaderProbe.Gcc is not null, "gcc (to build the kernel's test programs)");
        Prerequisite.Require(File.Exists("/usr/lib/x86_64-linux-gnu/libc.a") || File.Exists("/usr/lib64/libc.a"), "a static C library (libc6-dev) for gcc -static");
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(source + "\0" + string.Join(' ', flags)));
        string dir = Path.Combine(Path.GetTempPath(), "warden-loader-programs-" + Convert.ToHexString(hash, 0, 8).ToLowerInvariant());
        string exe = Path.Combine(dir, name);
        lock (s_lock)
        {
            if (File.Exists(exe))
            {
                return exe;
            }
            Directory.CreateDirectory(dir);
            string src = Path.Combine(dir, name + ".c");
            File.WriteAllText(src, source);
            string temp = exe + "." + Environment.ProcessId + ".tmp";
            var start = new ProcessStartInfo(CHeaderProbe.Gcc!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in (string[])["-std=gnu11", "-O1", .. flags, "-o", temp, src])
            {
                start.ArgumentList.Add(argument);
            }
            using Process gcc = Process.Start(start) ?? throw new InvalidOperationException("Could not start gcc.");
            Task<string> stdout = gcc.StandardOutput.ReadToEndAsync();
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            Assert.True(gcc.ExitCode == 0, $"gcc failed on {name} ({gcc.ExitCode}):\n{stdout.Result}{errors}");
            File.Move(temp, exe, overwrite: true);
            return exe;
        }
    }

}
