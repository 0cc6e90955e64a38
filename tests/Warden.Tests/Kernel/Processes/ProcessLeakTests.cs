using System.Globalization;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Processes;

/// <summary>
/// A run of several processes leaves nothing behind in the test process: no child process at
/// all (stub or zombie or anything else), no descriptor, no thread of Warden's.
/// </summary>
/// <remarks>
/// <see cref="KernelRunner.Run"/> already asserts that no stub child and no new descriptor is left
/// after every run; this test asserts it for a run whose background job may outlive the shell,
/// and more strictly: any child of this process counts, and so do Warden's threads.
/// </remarks>
[Collection(KernelCollection.Name)]
public sealed class ProcessLeakTests
{
    public ProcessLeakTests()
    {
        Busybox.Require();
        KernelRunner.RequirePtrace();
    }

    [SkippableFact]
    public void NoChildProcessDescriptorOrThreadOutlivesARun()
    {
        var spec = RunSpec.Busybox("sh", "-c", "busybox sleep 0.05 & busybox true | busybox cat") with { WorkingDirectory = Path.GetTempPath() };
        RunResult native = NativeRunner.Run(spec);
        // A first run opens what the runtime and the platform keep for the process's lifetime.
        RunResult first = KernelRunner.Run(spec);

        List<string> childrenBefore = Children();
        Dictionary<int, string> fdsBefore = ProcessResources.OpenFds();
        List<string> threadsBefore = WardenThreads();
        RunResult second = KernelRunner.Run(spec);

        List<string> children = Children();
        for (int i = 0; i < 50 && children.Count > childrenBefore.Count; i++)
        {
            // A stub being reaped by the platform's thread right now.
            Thread.Sleep(20);
            children = Children();
        }
        Assert.True(children.Count == childrenBefore.Count && children.TrueForAll(childrenBefore.Contains),
            $"child processes of the test process before the run: [{string.Join("; ", childrenBefore)}], after: [{string.Join("; ", children)}]");
        ProcessResources.AssertNoNewFds(fdsBefore);
        List<string> threads = WardenThreads();
        for (int i = 0; i < 50 && threads.Count > threadsBefore.Count; i++)
        {
            Thread.Sleep(20);
            threads = WardenThreads();
        }
        Assert.True(threads.Count <= threadsBefore.Count,
            $"Warden's threads before the run: [{string.Join("; ", threadsBefore)}], after: [{string.Join("; ", threads)}]");
        // What the runs printed is checked last, so that the leaks are checked even when it differs.
        RunResult.AssertSame(native, first);
        RunResult.AssertSame(native, second);
    }

    /// <summary>Every process whose parent is this one: pid, name and state.</summary>
    private static List<string> Children()
    {
        string self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var children = new List<string>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }
            try
            {
                string[] status = File.ReadAllLines(Path.Combine(dir, "status"));
                if (Field(status, "PPid:") == self)
                {
                    children.Add($"{Path.GetFileName(dir)} ({Field(status, "Name:")}, {Field(status, "State:")})");
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
        return children;
    }

    /// <summary>This process's threads that Warden started (its tasks' and its platform's, named <c>warden…</c>).</summary>
    private static List<string> WardenThreads()
    {
        var threads = new List<string>();
        foreach (string dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
                if (name.StartsWith("warden", StringComparison.Ordinal))
                {
                    threads.Add($"{Path.GetFileName(dir)} ({name})");
                }
            }
            catch (IOException)
            {
            }
        }
        return threads;
    }

    private static string Field(string[] status, string name)
    {
        foreach (string line in status)
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return line[name.Length..].Trim();
            }
        }
        return "";
    }
}
