using System.Diagnostics;
using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// Runs a <see cref="RunSpec"/> on the host, the oracle for a run under Warden: the same program,
/// arguments, environment (and nothing else of the test runner's), working directory and input.
/// </summary>
internal static class NativeRunner
{
    /// <summary>Runs <paramref name="spec"/> natively, in <paramref name="workingDirectory"/> if given (else the spec's).</summary>
    /// <remarks>
    /// A <see cref="RunSpec.StdinFile"/> is given as the file itself, by a shell that redirects and
    /// then execs the program (Process can only give a pipe); the shell adds nothing to the
    /// environment the program sees.
    /// </remarks>
    public static RunResult Run(RunSpec spec, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        if (spec.StdinFile is string file)
        {
            psi.FileName = "/bin/sh";
            foreach (string arg in (string[])["-c", "f=$1; shift; exec \"$@\" <\"$f\"", "sh", file, spec.Program, .. spec.Argv[1..]])
            {
                psi.ArgumentList.Add(arg);
            }
        }
        else
        {
            psi.FileName = spec.Program;
            foreach (string arg in spec.Argv[1..])
            {
                psi.ArgumentList.Add(arg);
            }
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
