using System.CommandLine;
using Warden.Cli;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>How <c>warden run</c>'s command line becomes <see cref="RunOptions"/>.</summary>
public sealed class RunCommandTests
{
    private static RunOptions Parse(params string[] args)
    {
        ParseResult result = WardenCommandLine.Parse(["run", .. args]);
        Assert.Empty(result.Errors);
        return Assert.IsType<RunCommand>(result.CommandResult.Command).ReadOptions(result);
    }

    private static IReadOnlyList<string> Errors(params string[] args)
    {
        ParseResult result = WardenCommandLine.Parse(["run", .. args]);
        Assert.IsType<RunCommand>(result.CommandResult.Command);
        return [.. result.Errors.Select(e => e.Message)];
    }

    [Fact]
    public void NoProgram_IsTheDemonstration_WithDefaults()
    {
        RunOptions o = Parse();
        Assert.Null(o.Program);
        Assert.Empty(o.Arguments);
        Assert.False(o.Strace);
        Assert.Null(o.StraceFile);
        Assert.False(o.Maps);
        Assert.False(o.Stats);
        Assert.Equal("/", o.Root);
        Assert.False(o.ReadOnly);
        Assert.Empty(o.Environment);
        Assert.False(o.ClearEnvironment);
        Assert.Equal("ptrace", o.Platform);
    }

    [Fact]
    public void EveryOption_IsRead()
    {
        RunOptions o = Parse(
            "--strace", "--maps", "--stats", "--root", "/srv/jail", "--read-only", "--env", "A=1", "--env=B=2",
            "--clear-env", "--platform", "ptrace", "prog", "x");
        Assert.True(o.Strace);
        Assert.True(o.Maps);
        Assert.True(o.Stats);
        Assert.Equal("/srv/jail", o.Root);
        Assert.True(o.ReadOnly);
        Assert.Equal(["A=1", "B=2"], o.Environment);
        Assert.True(o.ClearEnvironment);
        Assert.Equal("prog", o.Program);
        Assert.Equal(["x"], o.Arguments);
    }

    [Fact]
    public void StraceFile_ImpliesStrace()
    {
        RunOptions o = Parse("--strace-file", "/tmp/calls.txt", "true");
        Assert.True(o.Strace);
        Assert.Equal("/tmp/calls.txt", o.StraceFile);
    }

    [Fact]
    public void WordsAfterTheProgram_AreItsOwn_EvenWhenTheyLookLikeWardensOptions()
    {
        RunOptions o = Parse("--stats", "ls", "-l", "--strace", "--env", "X=1", "--", "@file");
        Assert.True(o.Stats);
        Assert.False(o.Strace);
        Assert.Empty(o.Environment);
        Assert.Equal("ls", o.Program);
        Assert.Equal(["-l", "--strace", "--env", "X=1", "--", "@file"], o.Arguments);
    }

    [Fact]
    public void DoubleDash_EndsWardensOptions()
    {
        RunOptions o = Parse("--maps", "--", "--strace", "-x");
        Assert.True(o.Maps);
        Assert.False(o.Strace);
        Assert.Equal("--strace", o.Program);
        Assert.Equal(["-x"], o.Arguments);
    }

    [Fact]
    public void AnOptionsValue_IsNotTakenForTheProgram()
    {
        RunOptions o = Parse("--root", "dir", "--env", "K=V", "--strace-file", "f", "--platform", "ptrace", "prog");
        Assert.Equal("dir", o.Root);
        Assert.Equal(["K=V"], o.Environment);
        Assert.Equal("f", o.StraceFile);
        Assert.Equal("prog", o.Program);
        Assert.Empty(o.Arguments);
    }

    [Fact]
    public void RepeatedEnv_KeepsTheCommandLinesOrder()
    {
        RunOptions o = Parse("--env", "A=1", "--env", "B=2", "--env", "A=3", "prog");
        Assert.Equal(["A=1", "B=2", "A=3"], o.Environment);
    }

    [Fact]
    public void AnUnknownPlatform_IsAnErrorNamingTheChoices()
    {
        string error = Assert.Single(Errors("--platform", "kvm", "prog"));
        Assert.Contains("'kvm'", error, StringComparison.Ordinal);
        Assert.Contains("choices: ptrace", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEnvSettingWithoutAName_IsAnError()
    {
        Assert.Contains("'NOVALUE'", Assert.Single(Errors("--env", "NOVALUE", "prog")), StringComparison.Ordinal);
        Assert.Contains("'=x'", Assert.Single(Errors("--env", "=x", "prog")), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownOption_BeforeTheProgram_IsAnError_AndExits125()
    {
        Assert.Equal("--strase", RunCommand.UnknownOption(["run", "--stats", "--strase", "ls", "-l"]));
        Assert.Equal("-x", RunCommand.UnknownOption(["run", "-x"]));
        Assert.Null(RunCommand.UnknownOption(["run", "--env", "-x=1", "ls", "--bogus"]));
        Assert.Null(RunCommand.UnknownOption(["run", "--", "-x"]));
        Assert.Null(RunCommand.UnknownOption(["run", "--help"]));

        var error = new StringWriter();
        Assert.Equal(125, WardenCommandLine.Invoke(["run", "--strase", "ls"], error));
        Assert.StartsWith("warden: run: unrecognized option '--strase'", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AProgramNamedLikeAnOption_FollowsDoubleDash()
    {
        RunOptions o = Parse("--", "-x", "y");
        Assert.Equal("-x", o.Program);
        Assert.Equal(["y"], o.Arguments);
    }

    [Fact]
    public void ABadCommandLine_ExitsWith125()
    {
        var error = new StringWriter();
        Assert.Equal(125, WardenCommandLine.Invoke(["run", "--platform", "soft", "prog"], error));
        Assert.StartsWith("warden: --platform: unknown platform 'soft'", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "run" }, new[] { "run" })]
    [InlineData(new[] { "run", "ls", "-l" }, new[] { "run", "--", "ls", "-l" })]
    [InlineData(new[] { "run", "--strace", "ls" }, new[] { "run", "--strace", "--", "ls" })]
    [InlineData(new[] { "run", "--env", "A=1", "ls" }, new[] { "run", "--env", "A=1", "--", "ls" })]
    [InlineData(new[] { "run", "--env=A=1", "ls" }, new[] { "run", "--env=A=1", "--", "ls" })]
    [InlineData(new[] { "run", "--", "ls" }, new[] { "run", "--", "ls" })]
    [InlineData(new[] { "run", "--maps" }, new[] { "run", "--maps" })]
    [InlineData(new[] { "bench", "x" }, new[] { "bench", "x" })]
    public void SeparateProgram_PutsDoubleDashBeforeTheProgram(string[] args, string[] expected) =>
        Assert.Equal(expected, RunCommand.SeparateProgram(args));
}
