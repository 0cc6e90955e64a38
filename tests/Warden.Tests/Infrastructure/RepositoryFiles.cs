using System.Diagnostics;
using System.Text;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// The repository the test assembly was built from, and a way to run the <c>dotnet</c> host on it
/// (for tests that pack the library or run the samples as a user would).
/// </summary>
public static class RepositoryFiles
{
    /// <summary>The directory holding <c>Warden.sln</c>, found above the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The <c>dotnet</c> host running the tests (<c>dotnet test</c> names it), else the one on PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host))
            {
                return host;
            }
            string? process = Environment.ProcessPath;
            if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet")
            {
                return process;
            }
            return "dotnet";
        }
    }

    /// <summary>
    /// The configuration the test assembly was built in (<c>Debug</c> or <c>Release</c>): its
    /// directory is <c>bin/CONFIGURATION/TFM/</c>.
    /// </summary>
    public static string Configuration =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>Runs the <c>dotnet</c> host with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    /// <returns>The exit code and everything written to standard output and standard error.</returns>
    public static (int ExitCode, string Output, string Errors) RunDotnet(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The test host's MSBuild settings belong to the build that launched it, not to a nested one.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (errors) { errors.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        return (process.ExitCode, output.ToString(), errors.ToString());
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Warden.sln")))
            {
                return dir.FullName;
            }
        }
        throw new FileNotFoundException($"Cannot find Warden.sln above {AppContext.BaseDirectory}.");
    }
}
