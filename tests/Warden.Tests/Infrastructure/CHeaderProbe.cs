using System.Diagnostics;
using System.Text;
using Xunit;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// Compiles a small C program against the system headers, runs it and returns what it printed, so
/// that a test can compare Warden's copies of Linux constants and layouts with the real ones.
/// </summary>
/// <remarks>
/// A test that uses it must be a <c>[SkippableFact]</c>: without gcc the test is skipped (or, in CI,
/// fails). Programs print one <c>key\tvalue</c> line per fact; <see cref="RunKeyValues"/> parses them.
/// </remarks>
public static class CHeaderProbe
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    /// <summary>The C compiler, or <c>null</c> if there is none on PATH.</summary>
    public static string? Gcc { get; } = Prerequisite.FindOnPath("gcc");

    /// <summary>
    /// Builds a whole program: <c>_GNU_SOURCE</c>, the given headers, and <paramref name="body"/>
    /// as the statements of <c>main</c>.
    /// </summary>
    public static string Program(IEnumerable<string> headers, string body)
    {
        var source = new StringBuilder();
        source.AppendLine("#define _GNU_SOURCE 1");
        foreach (string header in headers)
        {
            source.Append("#include <").Append(header).AppendLine(">");
        }
        source.AppendLine("int main(void) {");
        source.AppendLine(body);
        source.AppendLine("return 0;");
        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>Returns a C string literal for <paramref name="text"/> (ASCII identifiers and plain text).</summary>
    public static string Literal(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Compiles and runs <paramref name="source"/>; returns its standard output, line by line.</summary>
    /// <remarks>Skips the calling test when gcc is missing; fails it when compiling or running fails.</remarks>
    public static IReadOnlyList<string> Run(string source)
    {
        Prerequisite.Require(Gcc is not null, "gcc (to compile C programs against the system headers)");
        string dir = Directory.CreateTempSubdirectory("warden-cprobe-").FullName;
        try
        {
            string sourcePath = Path.Combine(dir, "probe.c");
            string exePath = Path.Combine(dir, "probe");
            File.WriteAllText(sourcePath, source);

            (int compileExit, string _, string compileErrors) = Execute(Gcc!, ["-std=gnu11", "-O0", "-o", exePath, sourcePath]);
            Assert.True(compileExit == 0, $"gcc failed ({compileExit}):\n{compileErrors}\n--- source ---\n{source}");

            (int exit, string output, string errors) = Execute(exePath, []);
            Assert.True(exit == 0, $"The probe exited with {exit}:\n{errors}");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs a program that prints <c>key\tvalue</c> lines and returns them as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> RunKeyValues(string source)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in Run(source))
        {
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            Assert.True(tab > 0, $"The probe printed a line without a key: '{line}'");
            values.Add(line[..tab], line[(tab + 1)..]);
        }
        return values;
    }

    private static (int ExitCode, string Output, string Errors) Execute(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The C library's messages (strerror) must be the untranslated ones.
        start.Environment["LC_ALL"] = "C";

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish within {s_timeout}.");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }
}
