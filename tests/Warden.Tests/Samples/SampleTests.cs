using Warden.Errors;
using Warden.Platforms.Ptrace;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Samples;

/// <summary>
/// The programs under <c>samples/</c> run as a user would run them (<c>dotnet SAMPLE.dll</c>, built
/// with the tests in the same configuration) and print what their code says they compute.
/// </summary>
public class SampleTests
{
    private static string SampleDll(string name)
    {
        string dll = Path.Combine(RepositoryFiles.Root, "samples", name, "bin", RepositoryFiles.Configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built (the test project builds it: see Warden.Tests.csproj).");
        return dll;
    }

    [Fact]
    public void EmulatorEmbedding_SumsItsDataOnTheTinyCpu_WithFaultsServedByTheMemoryManager()
    {
        (int exitCode, string output, string errors) = RepositoryFiles.RunDotnet(RepositoryFiles.Root, SampleDll("EmulatorEmbedding"));

        Assert.True(exitCode == 0, $"exit {exitCode}:\n{output}\n{errors}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // 10 + 20 + 30 + 40 + 50, printed by the program's OUT and read back from its memory.
        Assert.Contains("out: 150", lines);
        Assert.Contains("sum in memory at data+0x1000: 150", lines);
        // Two instructions, then five times round the five-instruction loop, then three more.
        Assert.Contains("halted after 30 instructions", lines);
        // Nothing is mapped in the address space until the CPU faults (a fault maps its neighbours too).
        string faults = Assert.Single(lines, l => l.StartsWith("page faults served by the memory manager: ", StringComparison.Ordinal));
        Assert.True(int.Parse(faults[(faults.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 1, faults);
    }

    [SkippableFact]
    public void SandboxEmbedding_RunsGeneratedCode_WhoseWriteAndExitTheSampleServes()
    {
        Error? unsupported = PtracePlatform.CheckSupported();
        Prerequisite.Require(unsupported is null, $"permission to ptrace child processes ({unsupported?.Message})");

        (int exitCode, string output, string errors) = RepositoryFiles.RunDotnet(RepositoryFiles.Root, SampleDll("SandboxEmbedding"));

        Assert.True(exitCode == 0, $"exit {exitCode}:\n{output}\n{errors}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("sandbox wrote to fd 1: hello from the sandbox", lines);
        // The program exits with write's result: the message's 23 bytes.
        Assert.Contains("sandbox exited with 23", lines);
        string faults = Assert.Single(lines, l => l.StartsWith("page faults served by the memory manager: ", StringComparison.Ordinal));
        Assert.True(int.Parse(faults[(faults.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 1, faults);
    }
}
