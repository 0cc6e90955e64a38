using System.Diagnostics;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// Runs a <see cref="RunSpec"/> on the host, the oracle for a run under Warden: the same program,
/// arguments, environment (and nothing else of the test runner's), working directory and input,
/// with every signal at its default action, as a program started from a shell (and under Warden) has.
/// </summary>
internal static class NativeRunner
{
    // GNU env execs its command with the same argv[0], arguments and environment, SIGPIPE reset.
    private const string Env = "/usr/bin/env";
    private const string DefaultSigpipe = "--default-signal=PIPE";

    // Whether this host's env can reset a signal (GNU coreutils 8.31 or later).
    private static readonly Lazy<bool> s_envResetsSignals = new(() =>
    {
        if (!File.Exists(Env))
        {
            return false;
        }
        using var probe = Process.Start(new ProcessStartInfo(Env, [DefaultSigpipe, "true"]) { UseShellExecute = false, RedirectStandardError = true });
        probe!.WaitForExit();
        return probe.ExitCode == 0;
    });

    /// <summary>Runs <paramref name="spec"/> natively, in <paramref name="workingDirectory"/> if given (else the spec's).</summary>
    /// <remarks>
    /// The .NET runtime ignores SIGPIPE and a child process inherits that, so the program is started
    /// by <c>env --default-signal=PIPE</c>: a writer to a closed pipe is then killed by SIGPIPE, as
    /// natively from a shell, instead of seeing EPIPE. A <see cref="RunSpec.StdinFile"/> is given as
    /// the file itself, by a shell that redirects and then execs the program (Process can only give
    /// a pipe); the shell adds nothing to the environment the program sees.
    /// </remarks>
    public static RunResult Run(RunSpec spec, string? workingDirectory = null)
    {
        Prerequisite.Require(s_envResetsSignals.Value, "env --default-signal (GNU coreutils 8.31 or later)");
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        psi.FileName = Env;
        psi.ArgumentList.Add(DefaultSigpipe);
        if (spec.StdinFile is string file)
        {
            foreach (string arg in (string[])["/bin/sh", "-c", "f=$1; shift; exec \"$@\" <\"$f\"", "sh", file])
            {
                psi.ArgumentList.Add(arg);
            }
        }
        psi.ArgumentList.Add(spec.Program);
        foreach (string arg in spec.Argv[1..])
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment.Clear();
        foreach (string variable in spec.Env)
        {
            int eq = variable.IndexOf('=', StringComparison.Ordinal);
            psi.Environment[variable[..eq]] = variable[(eq + 1)..];
        }

        using var process = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        Task copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task copyErr = process.StandardError.BaseStream.CopyToAsync(stderr);
        Task feed = Task.Run(() =>
        {
            try
            {
                if (spec.Stdin is byte[] input)
                {
                    process.StandardInput.BaseStream.Write(input);
                }
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program stopped reading (head): as a native pipeline's writer would, stop.
            }
        });
        if (!process.WaitForExit(spec.Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the native run of {string.Join(' ', spec.Argv)} took longer than {spec.Timeout}.");
        }
        Task.WaitAll(copyOut, copyErr, feed);
        return new RunResult(process.ExitCode, stdout.ToArray(), stderr.ToArray());
    }
}
