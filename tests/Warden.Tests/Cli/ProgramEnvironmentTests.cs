using Warden.Cli;
using Xunit;

namespace Warden.Tests.Cli;

/// <summary>The program's environment: Warden's, or none, with <c>--env</c> settings on top.</summary>
public sealed class ProgramEnvironmentTests
{
    private static readonly string[] s_base = ["HOME=/root", "PATH=/usr/bin:/bin", "LANG=C"];

    [Fact]
    public void WithoutSettings_TheProgramGetsTheBaseEnvironment()
    {
        (IReadOnlyList<string> env, string? bad) = ProgramEnvironment.Build(s_base, clear: false, []);
        Assert.Null(bad);
        Assert.Equal(s_base, env);
    }

    [Fact]
    public void ASetting_ReplacesTheValueWhereItStood_OrIsAddedAtTheEnd()
    {
        (IReadOnlyList<string> env, _) = ProgramEnvironment.Build(s_base, clear: false, ["PATH=/opt/bin", "TERM=dumb"]);
        Assert.Equal(["HOME=/root", "PATH=/opt/bin", "LANG=C", "TERM=dumb"], env);
    }

    [Fact]
    public void ALaterSetting_OverridesAnEarlierOne()
    {
        (IReadOnlyList<string> env, _) = ProgramEnvironment.Build(s_base, clear: false, ["X=1", "LANG=fr_FR.UTF-8", "X=2"]);
        Assert.Equal(["HOME=/root", "PATH=/usr/bin:/bin", "LANG=fr_FR.UTF-8", "X=2"], env);
    }

    [Fact]
    public void ANameIsMatchedWhole()
    {
        // PATHX is not PATH, and PATH is not a prefix match of PATHX.
        (IReadOnlyList<string> env, _) = ProgramEnvironment.Build(["PATHX=1"], clear: false, ["PATH=2"]);
        Assert.Equal(["PATHX=1", "PATH=2"], env);
    }

    [Fact]
    public void ClearEnv_StartsFromNothing_ButKeepsTheSettings()
    {
        (IReadOnlyList<string> env, _) = ProgramEnvironment.Build(s_base, clear: true, ["A=1", "B=", "A=3"]);
        Assert.Equal(["A=3", "B="], env);
        Assert.Empty(ProgramEnvironment.Build(s_base, clear: true, []).Environment);
    }

    [Fact]
    public void AValueMayHoldEqualsSigns()
    {
        (IReadOnlyList<string> env, _) = ProgramEnvironment.Build([], clear: false, ["OPTS=a=b=c"]);
        Assert.Equal(["OPTS=a=b=c"], env);
    }

    [Theory]
    [InlineData("NOEQUALS")]
    [InlineData("=value")]
    [InlineData("")]
    public void ASettingThatIsNotNameEqualsValue_IsReported(string setting)
    {
        (_, string? bad) = ProgramEnvironment.Build(s_base, clear: false, ["GOOD=1", setting]);
        Assert.Equal(setting, bad);
    }

    [Fact]
    public void Current_IsWardensEnvironment_InTheOrderWardenWasGivenIt()
    {
        IReadOnlyList<string> env = ProgramEnvironment.Current();
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (path is not null)
        {
            Assert.Contains("PATH=" + path, env);
        }
        string[] names = [.. env.Select(e => e[..e.IndexOf('=', StringComparison.Ordinal)])];
        // The names this process started with come first, in the order of its environment block
        // (what a natively run program would get); the block is read here independently.
        string[] initial = [.. File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e[..e.IndexOf('=', StringComparison.Ordinal)])
            .Where(n => Environment.GetEnvironmentVariable(n) is not null).Distinct()];
        Assert.Equal(initial, names.Take(initial.Length));
        Assert.Equal(names.Skip(initial.Length).Order(StringComparer.Ordinal), names.Skip(initial.Length));
    }
}
