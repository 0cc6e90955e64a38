using Warden.Errors;
using Warden.Platform;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platform;

public class PlatformErrorsTests
{
    public static TheoryData<string, string> Messages => new()
    {
        { nameof(PlatformErrors.ContextSignal), "interrupted by signal" },
        { nameof(PlatformErrors.ContextSignalCPUID), "interrupted by signal, possible CPUID" },
        { nameof(PlatformErrors.ContextInterrupt), "interrupted by IPlatformContext.Interrupt()" },
        { nameof(PlatformErrors.ContextCPUPreempted), "interrupted by CPU preemption" },
        { nameof(PlatformErrors.AddressSpaceIOUnavailable), "this platform does not support AddressSpaceIO" },
    };

    private static Error ByName(string name) => name switch
    {
        nameof(PlatformErrors.ContextSignal) => PlatformErrors.ContextSignal,
        nameof(PlatformErrors.ContextSignalCPUID) => PlatformErrors.ContextSignalCPUID,
        nameof(PlatformErrors.ContextInterrupt) => PlatformErrors.ContextInterrupt,
        nameof(PlatformErrors.ContextCPUPreempted) => PlatformErrors.ContextCPUPreempted,
        nameof(PlatformErrors.AddressSpaceIOUnavailable) => PlatformErrors.AddressSpaceIOUnavailable,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_SaysWhatHappened(string name, string message)
    {
        Assert.Equal(message, ByName(name).Message);
        Assert.Equal(message, ByName(name).ToString());
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void EachError_IsRecognisedByIdentity_ThroughAWrapper(string name, string message)
    {
        // Platforms return these and callers test for them with Is: the same instance every time,
        // and never an error that merely has the same message.
        Assert.True(new WrappingError("switch", ByName(name)).Is(ByName(name)));
        Assert.False(new SentinelError(message).Is(ByName(name)));
    }

    [Fact]
    public void Errors_AreDistinct_AndNoneWrapsAnother()
    {
        Error[] all =
        [
            PlatformErrors.ContextSignal,
            PlatformErrors.ContextSignalCPUID,
            PlatformErrors.ContextInterrupt,
            PlatformErrors.ContextCPUPreempted,
            PlatformErrors.AddressSpaceIOUnavailable,
        ];
        for (int i = 0; i < all.Length; i++)
        {
            for (int j = 0; j < all.Length; j++)
            {
                Assert.Equal(i == j, all[i].Is(all[j]));
            }
        }
    }

    [Fact]
    public void SignalInterrupt_IsSigchld()
    {
        Assert.Equal(17, IPlatformContext.SignalInterrupt);
        Assert.Equal(SignalInfo.SIGCHLD, IPlatformContext.SignalInterrupt);
    }
}
