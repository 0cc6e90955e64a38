using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Architecture;

/// <summary>
/// Issue 11: every assembly under <c>src/</c> is a NuGet package a .NET user can install, carrying
/// the README, the MIT license expression, its metadata and its dll; the <c>Warden</c> package
/// brings the whole library. Checked by packing the solution's <c>src/</c> projects into a
/// temporary directory (built there too, so the work tree's outputs are untouched) and reading
/// each package's <c>.nuspec</c>.
/// </summary>
public partial class PackagingTests
{
    private const string Version = "0.1.0";

    // The library stack the Warden meta-package must depend on (Interop comes with them: it is internal).
    private static readonly string[] s_library =
    [
        "Warden.Errors", "Warden.Contexts", "Warden.HostArch", "Warden.SafeMem", "Warden.UserMem",
        "Warden.RangeMap", "Warden.MemMap", "Warden.Platform", "Warden.PgAlloc", "Warden.Mm",
        "Warden.Platforms.SoftMmu", "Warden.Platforms.Ptrace", "Warden.Kernel",
    ];

    [GeneratedRegex("""^Project\("\{[^}]+\}"\) = "[^"]+", "(?<path>[^"]+\.csproj)",""", RegexOptions.Multiline)]
    private static partial Regex SolutionProject();

    private sealed record PackedProject(string CsprojPath, string PackageId, string AssemblyName, bool IsTool);

    private static List<PackedProject> SourceProjects()
    {
        string solution = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "Warden.sln"));
        var projects = new List<PackedProject>();
        foreach (Match m in SolutionProject().Matches(solution))
        {
            string relative = m.Groups["path"].Value.Replace('\\', '/');
            if (!relative.StartsWith("src/", StringComparison.Ordinal))
            {
                continue;
            }
            string path = Path.Combine(RepositoryFiles.Root, relative);
            XElement project = XElement.Load(path);
            string? Property(string name) => project.Descendants(name).FirstOrDefault()?.Value;
            string fileName = Path.GetFileNameWithoutExtension(path);
            projects.Add(new PackedProject(
                path,
                Property("PackageId") ?? fileName,
                Property("AssemblyName") ?? fileName,
                string.Equals(Property("PackAsTool"), "true", StringComparison.OrdinalIgnoreCase)));
        }
        return projects;
    }

    [Fact]
    public void EverySourceProjectIsInTheSolution()
    {
        var inSolution = SourceProjects().Select(p => Path.GetFullPath(p.CsprojPath)).ToHashSet();
        string[] onDisk = Directory.GetFiles(Path.Combine(RepositoryFiles.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(Path.GetFullPath)
            .ToArray();

        Assert.All(onDisk, p => Assert.Contains(p, inSolution));
        Assert.Contains(SourceProjects(), p => p.PackageId == "Warden");
    }

    [Fact]
    public void EachPackageCarriesReadmeLicenseMetadataAndItsAssembly()
    {
        List<PackedProject> projects = SourceProjects();
        string work = Directory.CreateTempSubdirectory("warden-pack-").FullName;
        try
        {
            string solution = Path.Combine(work, "pack.slnx");
            new XElement("Solution", projects.Select(p => new XElement("Project", new XAttribute("Path", p.CsprojPath))))
                .Save(solution);
            string output = Path.Combine(work, "out");
            // The normal build has already run the analyzers with warnings as errors; here only
            // the packages matter.
            (int exitCode, string stdout, string stderr) = RepositoryFiles.RunDotnet(
                work, "pack", solution, "-c", "Release", "-o", output,
                "--artifacts-path", Path.Combine(work, "artifacts"), "-p:RunAnalyzers=false",
                // No MSBuild worker nodes left running after the test.
                "-nodeReuse:false");
            Assert.True(exitCode == 0, $"dotnet pack failed ({exitCode}):\n{stdout}\n{stderr}");

            string readme = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "README.md"));
            var descriptions = new HashSet<string>();
            foreach (PackedProject project in projects)
            {
                string nupkg = Path.Combine(output, $"{project.PackageId}.{Version}.nupkg");
                Assert.True(File.Exists(nupkg), $"{project.PackageId}: no {Path.GetFileName(nupkg)} in {output}");
                using ZipArchive zip = ZipFile.OpenRead(nupkg);

                XElement metadata = ReadNuspec(zip, project.PackageId);
                XNamespace ns = metadata.Name.Namespace;
                string? Field(string name) => metadata.Element(ns + name)?.Value;

                Assert.Equal(project.PackageId, Field("id"));
                Assert.Equal(Version, Field("version"));
                Assert.Equal("Warden contributors", Field("authors"));
                XElement license = Assert.Single(metadata.Elements(ns + "license"));
                Assert.Equal("expression", (string?)license.Attribute("type"));
                Assert.Equal("MIT", license.Value);
                Assert.Equal("https://github.com/warden-project/warden", Field("projectUrl"));
                Assert.Equal("https://github.com/warden-project/warden", (string?)metadata.Element(ns + "repository")?.Attribute("url"));
                Assert.False(string.IsNullOrWhiteSpace(Field("tags")), $"{project.PackageId}: no tags");
                string description = Field("description") ?? "";
                Assert.False(string.IsNullOrWhiteSpace(description), $"{project.PackageId}: no description");
                Assert.True(descriptions.Add(description), $"{project.PackageId}: description shared with another package");

                Assert.Equal("README.md", Field("readme"));
                ZipArchiveEntry? packedReadme = zip.GetEntry("README.md");
                Assert.True(packedReadme is not null, $"{project.PackageId}: README.md not packed");
                using (var reader = new StreamReader(packedReadme.Open()))
                {
                    Assert.Equal(readme, reader.ReadToEnd());
                }

                string dll = project.IsTool
                    ? $"tools/net10.0/any/{project.AssemblyName}.dll"
                    : $"lib/net10.0/{project.AssemblyName}.dll";
                Assert.True(zip.GetEntry(dll) is not null, $"{project.PackageId}: {dll} not packed");

                if (project.PackageId == "Warden")
                {
                    string[] dependencies = metadata.Descendants(ns + "dependency")
                        .Select(d => (string)d.Attribute("id")!)
                        .ToArray();
                    Assert.All(s_library, id => Assert.Contains(id, dependencies));
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static XElement ReadNuspec(ZipArchive zip, string packageId)
    {
        ZipArchiveEntry? entry = zip.GetEntry($"{packageId}.nuspec");
        Assert.True(entry is not null, $"{packageId}: no {packageId}.nuspec");
        using Stream stream = entry.Open();
        XElement package = XElement.Load(stream);
        return package.Element(package.Name.Namespace + "metadata")!;
    }
}
