using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// What a run may leave behind in this process: open descriptors (<c>/proc/self/fd</c>) and ptrace
/// stubs. A stub is a child of this process (its PPid is ours: the platform's operations thread
/// forks it) executing the stub image, which /proc shows as <c>/memfd:warden-ptrace-stub</c> (or
/// a <c>warden-ptrace-*/stub</c> temporary file where memfds cannot be executed).
/// </summary>
internal static partial class ProcessResources
{
    /// <summary>This process's open descriptors and what each refers to.</summary>
    public static Dictionary<int, string> OpenFds()
    {
        var fds = new Dictionary<int, string>();
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(entry), out int fd))
            {
                continue;
            }
            // Gone by now: the descriptor that listed the directory.
            if (ReadLink(entry) is string target)
            {
                fds[fd] = target;
            }
        }
        return fds;
    }

    /// <summary>The children of this process that are ptrace stubs (alive or zombies): pid and what /proc says of them.</summary>
    public static List<string> StubChildren()
    {
        int self = Environment.ProcessId;
        var stubs = new List<string>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out int pid) || pid == self)
            {
                continue;
            }
            try
            {
                string status = File.ReadAllText(System.IO.Path.Combine(dir, "status"));
                if (Field(status, "PPid:") != self.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    continue;
                }
                string exe = ReadLink(System.IO.Path.Combine(dir, "exe")) ?? "";
                // A zombie has no exe link left; a zombie child after a run is a stub nobody reaped.
                string state = Field(status, "State:");
                if (exe.Contains("warden-ptrace-", StringComparison.Ordinal) || state.StartsWith('Z'))
                {
                    stubs.Add($"{pid} ({Field(status, "Name:")}, {state}, {exe})");
                }
            }
            catch (IOException)
            {
                // Gone while being read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return stubs;
    }

    /// <summary>Asserts that no descriptor is open now that was not open in <paramref name="before"/>.</summary>
    public static void AssertNoNewFds(Dictionary<int, string> before)
    {
        Dictionary<int, string> after = OpenFds();
        var extra = new List<string>();
        foreach ((int fd, string target) in after)
        {
            // The runtime keeps the assemblies it loads open; loading one is not a leak of the run's.
            if (target.EndsWith(".dll", StringComparison.Ordinal))
            {
                continue;
            }
            if (!before.TryGetValue(fd, out string? old) || old != target)
            {
                extra.Add($"{fd} -> {target}");
            }
        }
        Assert.True(extra.Count == 0, $"descriptors left open after the run: {string.Join(", ", extra)}");
    }

    /// <summary>Asserts that this process has no stub child, waiting a little for stubs being reaped.</summary>
    public static void AssertNoStubChildren()
    {
        List<string> stubs = StubChildren();
        for (int i = 0; i < 50 && stubs.Count > 0; i++)
        {
            Thread.Sleep(20);
            stubs = StubChildren();
        }
        Assert.True(stubs.Count == 0, $"stub processes left after the run: {string.Join("; ", stubs)}");
    }

    /// <summary>readlink(2), or <c>null</c> if it fails (FileInfo.LinkTarget does not show anonymous inodes).</summary>
    private static unsafe string? ReadLink(string path)
    {
        byte* buffer = stackalloc byte[4096];
        nint n = Readlink(path, buffer, 4096);
        return n < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, (int)n);
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static unsafe partial nint Readlink(string path, byte* buffer, nint size);

    private static string Field(string status, string name)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return line[name.Length..].Trim();
            }
        }
        return "";
    }
}
