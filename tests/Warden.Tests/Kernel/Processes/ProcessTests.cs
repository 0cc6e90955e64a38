using System.Text;
using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Processes;

/// <summary>
/// Shell pipelines, loops, substitutions, subshells, traps, background jobs and scripts: busybox's
/// sh forks, execs (its applets through <c>/proc/self/exe</c>), pipes, signals and waits, and
/// under Warden writes the same bytes to stdout and stderr, and ends with the same status, as the
/// same command run natively by the test (same arguments, environment, working directory).
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-processes-").FullName;

    public ProcessTests()
    {
        Busybox.Require();
        KernelRunner.RequirePtrace();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs <paramref name="spec"/> natively and under Warden (in the temporary directory) and asserts the same results.</summary>
    private RunResult Same(RunSpec spec)
    {
        spec = spec with { WorkingDirectory = spec.WorkingDirectory ?? _dir };
        RunResult native = NativeRunner.Run(spec);
        RunResult warden = KernelRunner.Run(spec);
        RunResult.AssertSame(native, warden);
        return native;
    }

    /// <summary><c>busybox sh -c SCRIPT</c>.</summary>
    private static RunSpec Sh(string script) => RunSpec.Busybox("sh", "-c", script);

    [SkippableFact]
    public void ThreeStagePipeline() => Assert.Equal("2\n", Same(Sh("echo a | busybox tr a b | busybox wc -c")).StdoutText);

    [SkippableFact]
    public void ForLoopWithArithmetic() =>
        Assert.Equal("15\n", Same(Sh("i=0; for x in 1 2 3 4 5; do i=$((i+x)); done; echo $i")).StdoutText);

    /// <summary>100 forks, execs, exits and waits in a row (a lost wake-up of the waiting shell shows as a run that never ends).</summary>
    [SkippableFact]
    public void ForkExecLoop() =>
        Assert.Equal("100\n", Same(Sh("i=0; while [ $i -lt 100 ]; do busybox true; i=$((i+1)); done; echo $i")).StdoutText);

    [SkippableFact]
    public void CommandSubstitution() =>
        Assert.Equal("[hi\nthere] b 3\n", Same(Sh("echo \"[$(busybox echo hi; echo there)]\" `busybox basename /a/b` $(echo a b c | busybox wc -w)")).StdoutText);

    [SkippableFact]
    public void ExitStatusOfASubshellIsSeenInDollarQuestion() => Assert.Equal("3\n", Same(Sh("(exit 3); echo $?")).StdoutText);

    [SkippableFact]
    public void ExitStatusOfTheShell() => Assert.Equal(3, Same(Sh("exit 3")).ShellStatus);

    [SkippableFact]
    public void ExitStatusOfAChildProgram() =>
        Assert.Equal("3 1 0\n", Same(Sh("busybox sh -c 'exit 3'; a=$?; busybox false; b=$?; busybox true; echo $a $b $?")).StdoutText);

    [SkippableFact]
    public void SubshellHasItsOwnVariablesAndStatus() =>
        Assert.Equal("in 2\nout 1 4\n", Same(Sh("x=1; (x=2; echo in $x; exit 4); echo out $x $?")).StdoutText);

    [SkippableFact]
    public void TrapOfASignalSentToTheShellItself() =>
        Assert.Equal("caught\nafter\n", Same(Sh("trap 'echo caught' USR1; kill -USR1 $$; echo after")).StdoutText);

    [SkippableFact]
    public void YesDiesOfSigpipeAndThePipelineEndsWithHeads()
    {
        Assert.Equal("y\ny\ny\n", Same(Sh("busybox yes | busybox head -n 3")).StdoutText);
        // With pipefail the pipeline's status is yes's: killed by SIGPIPE, 128 + 13.
        Assert.Equal(141, Same(Sh("set -o pipefail; busybox yes | busybox head -n 3")).ShellStatus);
    }

    [SkippableFact]
    public void BackgroundJobAndWait() => Assert.Equal("done\n", Same(Sh("sleep 0.1 & wait; echo done")).StdoutText);

    [SkippableFact]
    public void BackgroundJobStatusThroughWaitPid() =>
        Assert.Equal("5\n", Same(Sh("busybox sh -c 'exit 5' & p=$!; wait $p; echo $?")).StdoutText);

    [SkippableFact]
    public void ScriptRunDirectlyThroughItsShebangLine()
    {
        string script = Path.Combine(_dir, "script.sh");
        File.WriteAllText(script,
            """
            #!/bin/busybox sh
            echo "args: $# $1 $2"
            n=0
            while [ $n -lt 3 ]; do n=$((n+1)); echo "line $n"; done | busybox tac
            echo "$(busybox basename "$0")"
            exit 7
            """ + "\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        RunResult native = Same(new RunSpec(script, [script, "one", "two"]));
        Assert.Equal(7, native.ShellStatus);
        Assert.Equal("args: 2 one two\nline 3\nline 2\nline 1\nscript.sh\n", native.StdoutText);
    }

    [SkippableFact]
    public void Xargs() => Assert.Equal("a b\n", Same(Sh("printf 'a\\nb\\n' | busybox xargs busybox echo")).StdoutText);

    [SkippableFact]
    public void FindExecMd5sum()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "tree", "sub", "deeper"));
        File.WriteAllText(Path.Combine(_dir, "tree", "a.txt"), "one\n");
        File.WriteAllText(Path.Combine(_dir, "tree", "sub", "b.txt"), BigText(100_000));
        File.WriteAllText(Path.Combine(_dir, "tree", "sub", "deeper", "c"), "x");
        File.WriteAllBytes(Path.Combine(_dir, "tree", "sub", "zero.bin"), new byte[70_000]);
        string tree = Path.Combine(_dir, "tree");
        // Both runs read the same directory, so find lists it in the same order. The directories
        // find names too make md5sum fail on them (EISDIR), on stderr, with status 1.
        RunResult all = Same(Sh("busybox find . -exec busybox md5sum {} +") with { WorkingDirectory = tree });
        Assert.Equal(1, all.ShellStatus);
        RunResult files = Same(Sh("busybox find . -type f -exec busybox md5sum {} +") with { WorkingDirectory = tree });
        Assert.Equal(0, files.ShellStatus);
        Assert.Equal(4, files.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>64 MiB through two pipes: cat to gzip to md5sum, each stage its own process.</summary>
    [SkippableFact]
    public void SixtyFourMebibytesThroughAThreeStagePipeline()
    {
        File.WriteAllText(Path.Combine(_dir, "BIG"), BigText(64 << 20));
        RunResult native = Same(Sh("busybox cat BIG | busybox gzip -c | busybox md5sum") with { Timeout = TimeSpan.FromMinutes(5) });
        Assert.Matches("^[0-9a-f]{32}  -\n$", native.StdoutText);
    }

    /// <summary>Deterministic text of exactly <paramref name="bytes"/> bytes: numbered lines (as <c>seq</c> writes them).</summary>
    private static string BigText(int bytes)
    {
        var text = new StringBuilder(bytes + 16);
        for (int i = 1; text.Length < bytes; i++)
        {
            text.Append(i).Append('\n');
        }
        text.Length = bytes;
        return text.ToString();
    }
}
