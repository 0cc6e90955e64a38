using Warden.Cli;
using Warden.Errors;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>Finding a program by name on PATH, as a shell does.</summary>
public sealed class PathLookupTests
{
    private static (string? Path, Errno? Error) Resolve(string program, string? searchPath, params (string Path, ProbeResult Result)[] files) =>
        PathLookup.Resolve(program, searchPath, "/home/u", new FakeExecutableProbe(files.ToDictionary(f => f.Path, f => f.Result)));

    [Theory]
    [InlineData("/bin/ls")]
    [InlineData("./prog")]
    [InlineData("sub/prog")]
    public void AProgramWithASlash_IsNotLookedUp(string program)
    {
        var probe = new FakeExecutableProbe(new Dictionary<string, ProbeResult>());
        Assert.Equal((program, null), PathLookup.Resolve(program, "/usr/bin", "/home/u", probe));
        Assert.Empty(probe.Probed);
    }

    [Fact]
    public void TheFirstExecutableOnThePath_Wins()
    {
        (string? path, Errno? error) = Resolve("ls", "/usr/local/bin:/usr/bin:/bin",
            ("/usr/bin/ls", ProbeResult.Executable), ("/bin/ls", ProbeResult.Executable));
        Assert.Null(error);
        Assert.Equal("/usr/bin/ls", path);
    }

    [Fact]
    public void DirectoriesAreSearchedInOrder_UntilOneHasIt()
    {
        var probe = new FakeExecutableProbe(new Dictionary<string, ProbeResult> { ["/c/tool"] = ProbeResult.Executable });
        PathLookup.Resolve("tool", "/a:/b/:/c:/d", "/", probe);
        Assert.Equal(["/a/tool", "/b/tool", "/c/tool"], probe.Probed);
    }

    [Fact]
    public void AFileWithoutExecutePermission_IsPassedOver_ButIsTheFallback()
    {
        Assert.Equal("/b/tool", Resolve("tool", "/a:/b", ("/a/tool", ProbeResult.NotExecutable), ("/b/tool", ProbeResult.Executable)).Path);
        // None executable: the first found, which the kernel then refuses with EACCES (126), as bash does.
        Assert.Equal(("/a/tool", null), Resolve("tool", "/a:/b", ("/a/tool", ProbeResult.NotExecutable), ("/b/tool", ProbeResult.NotExecutable)));
    }

    [Fact]
    public void AnEmptyEntry_IsTheWorkingDirectory_AndARelativeOneIsTakenFromIt()
    {
        Assert.Equal("/home/u/tool", Resolve("tool", "/a::/b", ("/home/u/tool", ProbeResult.Executable)).Path);
        Assert.Equal("/home/u/tool", Resolve("tool", "/a:", ("/home/u/tool", ProbeResult.Executable)).Path);
        Assert.Equal("/home/u/bin/tool", Resolve("tool", "bin", ("/home/u/bin/tool", ProbeResult.Executable)).Path);
    }

    [Fact]
    public void NoPath_SearchesGlibcsDefault()
    {
        var probe = new FakeExecutableProbe(new Dictionary<string, ProbeResult>());
        Assert.Equal((null, Errno.ENOENT), PathLookup.Resolve("tool", null, "/", probe));
        Assert.Equal(["/bin/tool", "/usr/bin/tool"], probe.Probed);
    }

    [Fact]
    public void NothingFound_IsENOENT()
    {
        Assert.Equal((null, Errno.ENOENT), Resolve("nosuch", "/a:/b"));
        Assert.Equal((null, Errno.ENOENT), Resolve("", "/a"));
    }

    [Fact]
    public void TheSandboxProbe_SeesFilesInsideTheRoot_NotTheHosts()
    {
        string root = Directory.CreateTempSubdirectory("warden-path-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.WriteAllText(Path.Combine(root, "bin", "tool"), "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Combine(root, "bin", "tool"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(root, "bin", "data"), "");
            File.SetUnixFileMode(Path.Combine(root, "bin", "data"), UnixFileMode.UserRead);
            Directory.CreateDirectory(Path.Combine(root, "bin", "dir"));
            // An absolute link inside the root stays inside it.
            File.CreateSymbolicLink(Path.Combine(root, "bin", "link"), "/bin/tool");

            (SandboxExecutableProbe? probe, Errno? error) = SandboxExecutableProbe.Create(root);
            Assert.Null(error);
            using (probe)
            {
                Assert.Equal(ProbeResult.Executable, probe!.Probe("/bin/tool"));
                Assert.Equal(ProbeResult.Executable, probe.Probe("/bin/link"));
                Assert.Equal(ProbeResult.Missing, probe.Probe("/bin/dir"));
                Assert.Equal(ProbeResult.Missing, probe.Probe("/bin/nosuch"));
                // The host's /bin/sh is not in this sandbox.
                Assert.Equal(ProbeResult.Missing, probe.Probe("/bin/sh"));
                Assert.Equal(("/bin/tool", null), PathLookup.Resolve("tool", "/usr/bin:/bin", "/", probe));
                Assert.Equal((null, Errno.ENOENT), PathLookup.Resolve("sh", "/usr/bin:/bin", "/", probe));
                // No execute bit at all: refused even to root.
                Assert.Equal(ProbeResult.NotExecutable, probe.Probe("/bin/data"));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AMissingRoot_IsAnError() =>
        Assert.Equal(Errno.ENOENT, SandboxExecutableProbe.Create("/nonexistent/warden-root").Error);
}
