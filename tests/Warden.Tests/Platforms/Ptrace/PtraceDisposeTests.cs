using System.Globalization;
using Iced.Intel;
using Warden.Interop;
using Warden.Platform;
using Warden.Platforms.Ptrace;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>Disposing a platform while its address spaces are being made, used, killed and left by their threads.</summary>
public sealed class PtraceDisposeTests
{
    private const ulong Code = 0x1000_0000;

    // Generous: a dispose that takes this long is hung, and the test fails instead of hanging too.
    private static readonly TimeSpan s_hung = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public void Dispose_WhileTracerThreadsExit_ReapsEveryStub_AndNeverHangs()
    {
        const int iterations = 100;
        const int workers = 3;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            var bed = PtraceTestBed.Create();
            var pids = new List<int>();
            var workerThreads = new Thread[workers];
            try
            {
                PtraceAddressSpace shared = bed.NewAddressSpace();
                bed.MapCode(shared, Code, SyscallOnce());
                pids.Add(shared.StubPid);
                using var switched = new CountdownEvent(workers);
                for (int w = 0; w < workers; w++)
                {
                    workerThreads[w] = new Thread(() =>
                    {
                        try
                        {
                            // An address space made concurrently with the others, and a stub thread
                            // traced by this thread in it and in the shared one.
                            PtraceAddressSpace own = bed.NewAddressSpace();
                            lock (pids)
                            {
                                pids.Add(own.StubPid);
                            }
                            bed.MapCode(own, Code, SyscallOnce());
                            PtraceContext context = bed.NewContext();
                            foreach (PtraceAddressSpace space in new[] { own, shared })
                            {
                                var arch = new ArchContext();
                                arch.Registers.Rip = Code;
                                _ = context.Switch(space, arch, -1, out _);
                                _ = context.PullFPState(arch);
                            }
                        }
                        finally
                        {
                            switched.Signal();
                        }
                        // Then the thread exits, detaching its stub threads, while the platform is disposed.
                    })
                    { IsBackground = true };
                    workerThreads[w].Start();
                }
                Assert.True(switched.Wait(s_hung), "the workers did not get through their switches");
                if (iteration % 2 == 1)
                {
                    // One stub killed from outside as well.
                    _ = Libc.Kill(shared.StubPid, Libc.SIGKILL);
                }
            }
            finally
            {
                Task dispose = Task.Run(bed.Dispose);
                Assert.True(dispose.Wait(s_hung), $"iteration {iteration}: PtracePlatform.Dispose did not return");
            }
            foreach (Thread thread in workerThreads)
            {
                Assert.True(thread.Join(s_hung));
            }
            int[] left = [.. ChildPids().Intersect(pids)];
            Assert.True(left.Length == 0, $"iteration {iteration}: stubs left behind: {string.Join(", ", left)}");
        }
    }

    /// <summary>
    /// A new address space is a spare started ahead, which runs code as a fresh one does; the next
    /// spare is started in its place, and Dispose kills and reaps every spare with the rest.
    /// </summary>
    [SkippableFact]
    public void Spares_AreHandedOverWorking_AndDisposedWithThePlatform()
    {
        var bed = PtraceTestBed.Create(new PtracePlatformOptions { SpareAddressSpaces = 1 });
        var pids = new List<int>();
        try
        {
            PtraceAddressSpace first = bed.NewAddressSpace();
            pids.Add(first.StubPid);
            int spare = WaitForSpare(bed.Platform);
            PtraceAddressSpace second = bed.NewAddressSpace();
            Assert.Equal(spare, second.StubPid);
            pids.Add(second.StubPid);
            bed.MapCode(second, Code, SyscallOnce());
            var arch = new ArchContext();
            arch.Registers.Rip = Code;
            (_, Warden.Errors.Error? error) = bed.NewContext().Switch(second, arch, -1, out _);
            Assert.Null(error);
            Assert.Equal(0x66UL, arch.Registers.OrigRax);
            pids.Add(WaitForSpare(bed.Platform));
        }
        finally
        {
            bed.Dispose();
        }
        Assert.Empty(bed.Platform.SparePids());
        int[] left = [.. ChildPids().Intersect(pids)];
        Assert.True(left.Length == 0, $"stubs left behind: {string.Join(", ", left)}");
    }

    [SkippableFact]
    public void NoSpares_WhenTheOptionsAskForNone()
    {
        using var bed = PtraceTestBed.Create(new PtracePlatformOptions { SpareAddressSpaces = 0 });
        _ = bed.NewAddressSpace();
        Thread.Sleep(200);
        Assert.Empty(bed.Platform.SparePids());
    }

    // The pid of the platform's one ready spare, once it is ready.
    private static int WaitForSpare(PtracePlatform platform)
    {
        for (int i = 0; i < 500; i++)
        {
            if (platform.SparePids() is [int pid])
            {
                return pid;
            }
            Thread.Sleep(10);
        }
        Assert.Fail("no spare address space was started within 5 s");
        return 0;
    }

    private static Assembler SyscallOnce()
    {
        var a = new Assembler(64);
        a.mov(eax, 0x66);
        a.syscall();
        a.ud2();
        return a;
    }

    // The children (zombies too) of every thread of this process.
    private static List<int> ChildPids()
    {
        var children = new List<int>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                // The thread exited meanwhile.
                continue;
            }
            foreach (string pid in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                children.Add(int.Parse(pid, CultureInfo.InvariantCulture));
            }
        }
        return children;
    }
}
