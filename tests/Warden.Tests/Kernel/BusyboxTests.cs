using System.Text;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel;

/// <summary>
/// busybox applets under Warden write the same bytes to stdout and stderr, and end with the same
/// status, as the same command run natively by the test (same arguments, environment, working
/// directory and input). Inputs are generated deterministically in a temporary directory.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class BusyboxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("warden-busybox-").FullName;

    public BusyboxTests()
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
        return warden;
    }

    private string Put(string name, string text) => Put(name, Encoding.UTF8.GetBytes(text));

    private string Put(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Deterministic text: numbered lines of pseudo-random words (some repeated, for uniq and sort).</summary>
    internal static string Lines(int count, int seed)
    {
        var random = new Random(seed);
        string[] words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "Lambda", "MU", "nu", "xi"];
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            int n = random.Next(1, 6);
            for (int w = 0; w < n; w++)
            {
                text.Append(w == 0 ? "" : " ").Append(words[random.Next(words.Length)]);
            }
            text.Append(' ').Append(random.Next(1000)).Append('\n');
        }
        return text.ToString();
    }

    [SkippableFact]
    public void Echo() => Same(RunSpec.Busybox("echo", "hello", "world", "-n", "  spaced  "));

    [SkippableFact]
    public void EchoWithEscapes() => Same(RunSpec.Busybox("echo", "-e", "tab\\there\\nnew line\\0101"));

    [SkippableFact]
    public void True() => Assert.Equal(0, Same(RunSpec.Busybox("true")).ShellStatus);

    [SkippableFact]
    public void False() => Assert.Equal(1, Same(RunSpec.Busybox("false")).ShellStatus);

    [SkippableFact]
    public void CatAFile()
    {
        Put("lines.txt", Lines(2000, 1));
        Same(RunSpec.Busybox("cat", "lines.txt"));
    }

    [SkippableFact]
    public void CatStdinFromAPipe() => Same(RunSpec.Busybox("cat") with { Stdin = Encoding.UTF8.GetBytes(Lines(5000, 2)) });

    [SkippableFact]
    public void CatStdinFromAFile()
    {
        string file = Put("stdin.txt", Lines(3000, 3));
        Same(RunSpec.Busybox("cat", "-n") with { StdinFile = file });
    }

    [SkippableFact]
    public void CatOfAMissingFileFailsAsNatively() => Assert.Equal(1, Same(RunSpec.Busybox("cat", "no-such-file")).ShellStatus);

    [SkippableFact]
    public void Wc()
    {
        Put("lines.txt", Lines(4000, 4));
        Same(RunSpec.Busybox("wc", "lines.txt"));
        Same(RunSpec.Busybox("wc", "-l", "-w", "-c") with { Stdin = Encoding.UTF8.GetBytes(Lines(1000, 5)) });
    }

    [SkippableFact]
    public void Head()
    {
        Put("lines.txt", Lines(4000, 6));
        Same(RunSpec.Busybox("head", "-n", "25", "lines.txt"));
        Same(RunSpec.Busybox("head", "-c", "1000", "lines.txt"));
    }

    [SkippableFact]
    public void Tail()
    {
        Put("lines.txt", Lines(4000, 7));
        Same(RunSpec.Busybox("tail", "-n", "30", "lines.txt"));
        Same(RunSpec.Busybox("tail", "-c", "777") with { Stdin = Encoding.UTF8.GetBytes(Lines(3000, 8)) });
    }

    [SkippableFact]
    public void Uniq()
    {
        var text = new StringBuilder();
        foreach (string line in Lines(3000, 9).Split('\n'))
        {
            // Runs of equal lines for uniq to fold.
            string word = line.Split(' ')[0];
            text.Append(word).Append('\n').Append(word).Append('\n');
        }
        Put("dups.txt", text.ToString());
        Same(RunSpec.Busybox("uniq", "-c", "dups.txt"));
    }

    [SkippableFact]
    public void Tr() => Same(RunSpec.Busybox("tr", "a-z", "A-Z") with { Stdin = Encoding.UTF8.GetBytes(Lines(3000, 10)) });

    [SkippableFact]
    public void Od()
    {
        var bytes = new byte[5000];
        new Random(11).NextBytes(bytes);
        Put("random.bin", bytes);
        Same(RunSpec.Busybox("od", "-A", "x", "-t", "x1z", "random.bin"));
    }

    [SkippableFact]
    public void Seq() => Same(RunSpec.Busybox("seq", "1", "100000"));

    [SkippableFact]
    public void GzipThenGunzip()
    {
        byte[] original = Encoding.UTF8.GetBytes(Lines(40000, 12));
        Put("data.txt", original);
        // Same compressed bytes as the native gzip (the header holds the same name and mtime).
        RunResult compressed = Same(RunSpec.Busybox("gzip", "-c", "data.txt"));
        Assert.True(compressed.Stdout.Length < original.Length / 2);
        Put("data.txt.gz", compressed.Stdout);
        RunResult round = Same(RunSpec.Busybox("gunzip", "-c", "data.txt.gz"));
        RunResult.AssertSameBytes("gunzip's output", original, round.Stdout);
        RunResult piped = Same(RunSpec.Busybox("gunzip", "-c") with { Stdin = compressed.Stdout });
        RunResult.AssertSameBytes("gunzip's output from stdin", original, piped.Stdout);
    }

    /// <summary>A small tree: directories, files of several sizes and modes, a symlink.</summary>
    private void MakeTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "a", "b", "c"));
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllText(Path.Combine(root, "top.txt"), Lines(10, 13));
        File.WriteAllText(Path.Combine(root, "a", "one.txt"), Lines(100, 14));
        File.WriteAllText(Path.Combine(root, "a", "b", "two.txt"), Lines(1000, 15));
        File.WriteAllBytes(Path.Combine(root, "a", "b", "c", "zero.bin"), new byte[12345]);
        File.WriteAllText(Path.Combine(root, "a", "script.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "a", "script.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "a/one.txt");
    }

    // The tree is made before both runs, so every time and inode ls, stat and find show is the same in both.
    [SkippableFact]
    public void LsLa()
    {
        MakeTree(Path.Combine(_dir, "tree"));
        Same(RunSpec.Busybox("ls", "-la", "tree"));
        Same(RunSpec.Busybox("ls", "-laR", "tree/a"));
    }

    [SkippableFact]
    public void Find()
    {
        MakeTree(Path.Combine(_dir, "tree"));
        Same(RunSpec.Busybox("find", "tree"));
        Same(RunSpec.Busybox("find", "tree", "-type", "f", "-name", "*.txt"));
    }

    [SkippableFact]
    public void Stat()
    {
        MakeTree(Path.Combine(_dir, "tree"));
        // stat reads the symlink's target, which sets the link's atime the first time: a first
        // native run settles it, so that the compared runs both see the same atime.
        NativeRunner.Run(RunSpec.Busybox("stat", "tree/link") with { WorkingDirectory = _dir });
        Same(RunSpec.Busybox("stat", "tree/top.txt", "tree/a", "tree/link"));
        Same(RunSpec.Busybox("stat", "-L", "tree/link"));
        // The file system's free blocks and inodes change with anything else the machine does; its
        // type, sizes and totals do not.
        Same(RunSpec.Busybox("stat", "-f", "-c", "%n %t %T %s %S %b %c %l", "tree"));
    }

    [SkippableFact]
    public void Du()
    {
        MakeTree(Path.Combine(_dir, "tree"));
        Same(RunSpec.Busybox("du", "-s", "tree"));
        Same(RunSpec.Busybox("du", "-a", "tree"));
    }

    [SkippableFact]
    public void Env() => Same(RunSpec.Busybox("env"));

    [SkippableFact]
    public void Uname() => Same(RunSpec.Busybox("uname", "-a"));

    /// <summary>
    /// cp, mv and rm change files inside a sandbox root (<c>KernelOptions.Root</c>) as they change
    /// them natively in another directory: each command's output and status are the native
    /// run's, and so is the tree they leave (names, types, modes, sizes, contents, link targets).
    /// Times and inode numbers of the files they create are not compared: they differ between
    /// any two runs.
    /// </summary>
    [SkippableFact]
    public void CpMvRmInsideASandboxRoot()
    {
        string root = Path.Combine(_dir, "root");
        string native = Path.Combine(_dir, "native");
        foreach (string dir in (string[])[root, native])
        {
            MakeTree(Path.Combine(dir, "work"));
        }
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy(Busybox.Path, Path.Combine(root, "bin", "busybox"));
        File.SetUnixFileMode(Path.Combine(root, "bin", "busybox"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        string[][] commands =
        [
            ["cp", "work/top.txt", "work/copy.txt"],
            ["cp", "-r", "work/a", "work/acopy"],
            // Not `cp -a`: Warden has no utimensat or fchownat yet (ENOSYS), so it cannot preserve times and owners.
            ["cp", "-r", "work/a/b", "work/bcopy"],
            ["mv", "work/copy.txt", "work/moved.txt"],
            ["mv", "work/acopy/b", "work/empty/"],
            ["rm", "work/a/one.txt"],
            ["rm", "-r", "work/acopy"],
            ["rm", "-f", "work/link"],
            ["mv", "work/no-such", "work/x"],
            ["rm", "work/empty"],
            ["cp", "work/a", "work/y"],
        ];
        foreach (string[] command in commands)
        {
            RunSpec spec = RunSpec.Busybox(command[0], command[1..]);
            RunResult nativeRun = NativeRunner.Run(spec with { WorkingDirectory = native });
            RunResult wardenRun = KernelRunner.Run(spec with { Root = root, WorkingDirectory = "/" });
            RunResult.AssertSame(nativeRun, wardenRun);
        }
        Assert.Equal(Describe(Path.Combine(native, "work")), Describe(Path.Combine(root, "work")));
    }

    /// <summary>Every entry under <paramref name="root"/>: path, type, mode, and size and contents' hash or link target.</summary>
    private static List<string> Describe(string root)
    {
        var entries = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            string rel = Path.GetRelativePath(root, path);
            string mode = Convert.ToString((int)File.GetUnixFileMode(path), 8);
            if (info.LinkTarget is string target)
            {
                entries.Add($"{rel} link -> {target}");
            }
            else if (Directory.Exists(path))
            {
                entries.Add($"{rel} dir {mode}");
            }
            else
            {
                entries.Add($"{rel} file {mode} {info.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}");
            }
        }
        return entries;
    }

    /// <summary>
    /// <c>cat /proc/self/maps</c> under Warden shows Warden's own address space for the program:
    /// well-formed lines in ascending, non-overlapping order with the busybox image, [heap] and
    /// [stack] (a nameless line ends in a space after the inode, as Linux's do). It is not compared with the native run's: the layout is Warden's (no vDSO, its
    /// own randomisation), the test asserts what must hold of any maps file instead.
    /// </summary>
    [SkippableFact]
    public void ProcSelfMapsIsWardensOwn()
    {
        RunResult warden = KernelRunner.Run(RunSpec.Busybox("cat", "/proc/self/maps") with { WorkingDirectory = _dir });
        Assert.Equal(0, warden.ShellStatus);
        Assert.Empty(warden.Stderr);
        // The image is named by its real path (where /bin is a link to /usr/bin, /usr/bin/busybox).
        string busybox = Path.Combine(new DirectoryInfo("/bin").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/bin", "busybox");
        var line = new System.Text.RegularExpressions.Regex(
            @"^([0-9a-f]{8,16})-([0-9a-f]{8,16}) ([r-][w-][x-][ps]) ([0-9a-f]{8}) ([0-9a-f]{2,}):([0-9a-f]{2,}) ([0-9]+)(?: +(\S.*)| )$");
        string[] lines = warden.StdoutText.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length >= 4, warden.StdoutText);
        ulong previousEnd = 0;
        bool stack = false, heap = false, image = false;
        foreach (string text in lines)
        {
            System.Text.RegularExpressions.Match m = line.Match(text);
            Assert.True(m.Success, $"not a maps line: '{text}'");
            ulong start = Convert.ToUInt64(m.Groups[1].Value, 16);
            ulong end = Convert.ToUInt64(m.Groups[2].Value, 16);
            Assert.True(start < end, $"empty or reversed range: '{text}'");
            Assert.True(start % 4096 == 0 && end % 4096 == 0, $"unaligned range: '{text}'");
            Assert.True(start >= previousEnd, $"out of order or overlapping: '{text}'");
            previousEnd = end;
            string name = m.Groups[8].Value;
            stack |= name == "[stack]";
            heap |= name == "[heap]";
            image |= name == busybox || name == Busybox.Path;
            // Nothing of the test process (the .NET runtime) can be seen in the program's address space.
            Assert.DoesNotContain("libcoreclr", name, StringComparison.Ordinal);
            Assert.DoesNotContain(".dll", name, StringComparison.Ordinal);
        }
        Assert.True(stack, $"no [stack]:\n{warden.StdoutText}");
        Assert.True(heap, $"no [heap]:\n{warden.StdoutText}");
        Assert.True(image, $"no line for {busybox}:\n{warden.StdoutText}");
        Assert.NotEqual(File.ReadAllText("/proc/self/maps"), warden.StdoutText);
    }
}
