using Warden.Kernel.Signals;
using Warden.Platform;
using Xunit;

namespace Warden.Tests.Kernel.Signals;

/// <summary>Pending signals are kept as Linux keeps them: standard ones merge, real-time ones queue, faults go first.</summary>
public sealed class PendingSignalsTests
{
    private static SignalInfo Info(int signal, int value = 0) => new() { Signo = signal, Value = (ulong)value };

    [Fact]
    public void AStandardSignalIsPendingOnce_ARealTimeOneQueuesEachTime()
    {
        var pending = new PendingSignals();
        Assert.True(pending.Enqueue(Info(Signal.SIGUSR1)));
        Assert.False(pending.Enqueue(Info(Signal.SIGUSR1)));
        Assert.True(pending.Enqueue(Info(40, 1)));
        Assert.True(pending.Enqueue(Info(40, 2)));
        Assert.Equal(Signal.Bit(Signal.SIGUSR1) | Signal.Bit(40), pending.Set);

        Assert.True(pending.TryDequeue(ulong.MaxValue, out SignalInfo first));
        Assert.Equal(Signal.SIGUSR1, first.Signo);
        Assert.True(pending.TryDequeue(ulong.MaxValue, out SignalInfo second));
        Assert.Equal((40, 1UL), (second.Signo, second.Value));
        Assert.Equal(Signal.Bit(40), pending.Set);
        Assert.True(pending.TryDequeue(ulong.MaxValue, out SignalInfo third));
        Assert.Equal((40, 2UL), (third.Signo, third.Value));
        Assert.Equal(0UL, pending.Set);
        Assert.False(pending.TryDequeue(ulong.MaxValue, out _));
    }

    [Fact]
    public void FaultsComeFirst_ThenTheLowestNumber_AndOnlyAllowedOnes()
    {
        var pending = new PendingSignals();
        pending.Enqueue(Info(Signal.SIGHUP));
        pending.Enqueue(Info(Signal.SIGTERM));
        pending.Enqueue(Info(Signal.SIGSEGV));
        Assert.False(pending.TryDequeue(Signal.Bit(Signal.SIGINT), out _));
        Assert.True(pending.TryDequeue(ulong.MaxValue, out SignalInfo fault));
        Assert.Equal(Signal.SIGSEGV, fault.Signo);
        Assert.True(pending.TryDequeue(~Signal.Bit(Signal.SIGHUP), out SignalInfo allowed));
        Assert.Equal(Signal.SIGTERM, allowed.Signo);
        Assert.True(pending.TryDequeue(ulong.MaxValue, out SignalInfo last));
        Assert.Equal(Signal.SIGHUP, last.Signo);
    }

    [Fact]
    public void RemoveDropsEveryInstance_AndTheQueueHasALimit()
    {
        var pending = new PendingSignals();
        for (int i = 0; i < PendingSignals.MaxQueued; i++)
        {
            Assert.True(pending.Enqueue(Info(50, i)));
        }
        Assert.False(pending.Enqueue(Info(51)));
        pending.Remove(Signal.Bit(50));
        Assert.Equal(0UL, pending.Set);
        Assert.True(pending.Enqueue(Info(51)));
        pending.Clear();
        Assert.False(pending.TryDequeue(ulong.MaxValue, out _));
    }

    [Fact]
    public void AnAlternateStack_SaysWhetherAPointerIsOnIt_AndSurvivesOnlyOffIt()
    {
        var stack = new SignalStack(0x10000, 0x4000, 0);
        Assert.True(stack.IsEnabled);
        Assert.True(stack.Contains(0x12000));
        Assert.False(stack.Contains(0x10000));
        Assert.Equal(SignalStack.SS_ONSTACK, stack.FlagsFor(0x12000));
        Assert.Equal(0, stack.FlagsFor(0x20000));
        Assert.Equal(SignalStack.SS_DISABLE, SignalStack.Disabled.FlagsFor(0x12000));
        // sigreturn puts the saved stack back, unless the task is still running on the current one.
        Assert.Equal(stack, stack.RestoredFrom(0x50000, 0, 0x8000, 0x12000));
        Assert.Equal(new SignalStack(0x50000, 0x8000, 0), stack.RestoredFrom(0x50000, 0, 0x8000, 0x30000));
        Assert.Equal(SignalStack.Disabled, stack.RestoredFrom(0, SignalStack.SS_DISABLE, 0, 0x30000));
    }
}
