using Warden.Errors;
using Warden.Kernel.Loader;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// <c>#!</c> scripts as Linux's binfmt_script runs them: the interpreter and one optional argument
/// from the first line (within 256 bytes), argv rewritten to [interpreter, (argument), the script's
/// name, argv[1..]], at most 5 rewrites before ELOOP.
/// </summary>
public sealed class ScriptTests
{
    private static LoaderFixture WithInterpreter()
    {
        var f = new LoaderFixture();
        f.Put("/bin/interp", Standard().Build());
        return f;
    }

    private static string[] ArgvOnStack(LoaderFixture f, LoadedImage image)
    {
        ulong sp = image.StackPointer.Value;
        ulong argc = f.ReadU64(sp);
        return Enumerable.Range(0, (int)argc).Select(i => f.ReadCString(f.ReadU64(sp + 8 + 8 * (ulong)i))).ToArray();
    }

    [Theory]
    [InlineData("#!/bin/interp\n", new[] { "/bin/interp" })]
    [InlineData("#!/bin/interp -x\n", new[] { "/bin/interp", "-x" })]
    [InlineData("#! /bin/interp  -x  -y  \n", new[] { "/bin/interp", "-x  -y" })]
    [InlineData("#!\t/bin/interp\targ one\t\n", new[] { "/bin/interp", "arg one" })]
    [InlineData("#!/bin/interp   \nrest of the script\n", new[] { "/bin/interp" })]
    [InlineData("#!/bin/interp", new[] { "/bin/interp" })]
    [InlineData("#!/bin/interp a\0b\n", new[] { "/bin/interp", "a" })]
    public void TheLineGivesTheInterpreterAndOneArgument(string line, string[] prefix)
    {
        using var f = WithInterpreter();
        f.Put("/s", line);
        var image = f.LoadOk("/s", ["name-ignored", "one", "two"]);
        string[] expected = [.. prefix, "/s", "one", "two"];
        Assert.Equal(expected, image.Argv);
        Assert.Equal(expected, ArgvOnStack(f, image));
        Assert.Equal("/bin/interp", image.ExecutablePath);
        Assert.Equal("/s", f.ReadCString(LoaderFixture.Aux(image, AuxvType.AT_EXECFN)));
    }

    [Fact]
    public void TheScriptKeepsTheNameItWasGiven()
    {
        using var f = WithInterpreter();
        f.Put("/home/u/run.sh", "#!/bin/interp\n");
        f.Opener.WorkingDirectory = "/home/u";
        var image = f.LoadOk("run.sh", ["run.sh"]);
        Assert.Equal(["/bin/interp", "run.sh"], image.Argv);
        Assert.Equal("run.sh", f.ReadCString(LoaderFixture.Aux(image, AuxvType.AT_EXECFN)));
        Assert.Equal(["run.sh", "/bin/interp"], f.Opener.Opened);
    }

    [Fact]
    public void AnEmptyArgvLosesOnlyTheEmptyArgvZero()
    {
        using var f = WithInterpreter();
        f.Put("/s", "#!/bin/interp x\n");
        Assert.Equal(["/bin/interp", "x", "/s"], f.LoadOk("/s", []).Argv);
    }

    [Fact]
    public void ALongArgumentWithoutANewlineIsCutAtTheBuffer()
    {
        // 256 bytes seen, the last one replaced by the terminator: "#!/bin/interp " is 14 bytes,
        // so 241 bytes of the argument remain.
        using var f = WithInterpreter();
        f.Put("/s", "#!/bin/interp " + new string('a', 400));
        Assert.Equal(["/bin/interp", new string('a', 241), "/s"], f.LoadOk("/s").Argv);
    }

    [Theory]
    [InlineData(300)]
    [InlineData(254)]
    public void AnInterpreterPathTruncatedByTheBufferIsNoExec(int length)
    {
        // No newline, and no space, tab or NUL after the path within 256 bytes.
        using var f = WithInterpreter();
        f.Put("/s", "#!/" + new string('p', length) + "\n");
        Error? error = f.Load("/s").Error;
        Assert.NotNull(error);
        Assert.True(error.Is(Errno.ENOEXEC), error.ToString());
    }

    [Fact]
    public void AnInterpreterPathEndingJustInsideTheBufferIsRun()
    {
        // 2 + 252 bytes of path, then a space at index 254: the path is whole. The last byte (255)
        // is overwritten by the terminator and the trailing space trimmed, so no argument is left.
        using var f = new LoaderFixture();
        string interp = "/" + new string('p', 251);
        f.Put(interp, Standard().Build());
        f.Put("/s", "#!" + interp + " " + new string('x', 100));
        var image = f.LoadOk("/s");
        Assert.Equal(interp, image.ExecutablePath);
        Assert.Equal([interp, "/s"], image.Argv);
    }

    [Theory]
    [InlineData("#!\n")]
    [InlineData("#!   \t \n")]
    public void NoInterpreterIsNoExec(string line)
    {
        using var f = WithInterpreter();
        f.Put("/s", line);
        Error? error = f.Load("/s").Error;
        Assert.NotNull(error);
        Assert.True(error.Is(Errno.ENOEXEC), error.ToString());
    }

    [Fact]
    public void AHashBangAloneNamesTheEmptyPath()
    {
        // The buffer's zero padding ends an empty interpreter name: Linux opens "", which is ENOENT.
        using var f = WithInterpreter();
        f.Put("/s", "#!");
        Assert.Same(Errno.ENOENT, f.Load("/s").Error);
        Assert.Equal(["/s", ""], f.Opener.Opened);
    }

    [Fact]
    public void OnlySpacesInTheWholeBufferIsNoExec()
    {
        using var f = WithInterpreter();
        f.Put("/s", "#!" + new string(' ', 300));
        Assert.True(f.Load("/s").Error?.Is(Errno.ENOEXEC));
    }

    [Fact]
    public void TheInterpretersOwnErrorsComeThrough()
    {
        using var f = WithInterpreter();
        f.Put("/s", "#!/bin/none\n");
        Assert.Same(Errno.ENOENT, f.Load("/s").Error);
        f.Put("/t", "#!/etc/text\n");
        f.Put("/etc/text", "plain text\n");
        Assert.True(f.Load("/t").Error?.Is(Errno.ENOEXEC));
    }

    [Fact]
    public void ScriptsNestAndEachLevelRewritesArgv()
    {
        using var f = WithInterpreter();
        f.Put("/s1", "#!/s2 a1\n");
        f.Put("/s2", "#!/s3\n");
        f.Put("/s3", "#!/bin/interp a3\n");
        var image = f.LoadOk("/s1", ["/s1", "x"]);
        Assert.Equal(["/bin/interp", "a3", "/s3", "/s2", "a1", "/s1", "x"], image.Argv);
        Assert.Equal("/s1", f.ReadCString(LoaderFixture.Aux(image, AuxvType.AT_EXECFN)));
    }

    [Fact]
    public void FiveLevelsOfScriptsRunAndSixAreELoop()
    {
        // Linux's exec_binprm tries the handlers at depths 0 to 5: five scripts and then the ELF fit.
        using var f = WithInterpreter();
        for (int i = 1; i <= 6; i++)
        {
            f.Put($"/s{i}", $"#!/s{i + 1}\n");
        }
        f.Put("/s6", "#!/bin/interp\n");
        f.Put("/s7", "#!/s6\n");
        var image = f.LoadOk("/s2");
        Assert.Equal(["/bin/interp", "/s6", "/s5", "/s4", "/s3", "/s2"], image.Argv);

        using var g = WithInterpreter();
        for (int i = 1; i <= 5; i++)
        {
            g.Put($"/s{i}", $"#!/s{i + 1}\n");
        }
        g.Put("/s6", "#!/bin/interp\n");
        Error? error = g.Load("/s1").Error;
        Assert.NotNull(error);
        Assert.True(error.Is(Errno.ELOOP), error.ToString());
    }

    [Fact]
    public void AScriptInterpretingItselfIsELoop()
    {
        using var f = new LoaderFixture();
        f.Put("/loop", "#!/loop\n");
        Assert.True(f.Load("/loop").Error?.Is(Errno.ELOOP));
    }
}
