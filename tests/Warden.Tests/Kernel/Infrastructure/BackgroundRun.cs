using Warden.Errors;
using Warden.Kernel.Tasks;
using WardenKernel = Warden.Kernel.Kernel;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// <see cref="WardenKernel.Run"/> of a spec on a background thread, so that a test can time it out
/// (by disposing the platform, which kills the stubs) or talk to the program meanwhile. The
/// results are valid once <see cref="Thread"/> has ended.
/// </summary>
internal sealed class BackgroundRun
{
    private BackgroundRun()
    {
    }

    /// <summary>The thread running the kernel.</summary>
    public Thread Thread { get; private set; } = null!;

    /// <summary>How the program ended.</summary>
    public ExitStatus Status { get; private set; }

    /// <summary>Why the program could not be started, if it could not.</summary>
    public Error? Error { get; private set; }

    /// <summary>What <see cref="WardenKernel.Run"/> threw, if it threw (a bug in Warden).</summary>
    public Exception? Crash { get; private set; }

    /// <summary>Starts running <paramref name="spec"/> on <paramref name="kernel"/>.</summary>
    public static BackgroundRun Start(WardenKernel kernel, RunSpec spec)
    {
        var run = new BackgroundRun();
        run.Thread = new Thread(() =>
        {
            try
            {
                (run.Status, run.Error) = kernel.Run(spec.Program, spec.Argv, spec.Env);
            }
            catch (Exception e)
            {
                run.Crash = e;
            }
        })
        { IsBackground = true, Name = "kernel run" };
        run.Thread.Start();
        return run;
    }
}
