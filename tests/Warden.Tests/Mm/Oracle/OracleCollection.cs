using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// The oracle tests run one at a time: the in-process kernel targets reserve fixed windows of this
/// process's address space, which two tests cannot hold at once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OracleCollection
{
    public const string Name = "Linux oracle";

    /// <summary>The second window of kernel-against-kernel runs: right above the default one.</summary>
    public static OracleWindow SecondWindow { get; } = OracleWindow.Default with { Start = OracleWindow.DefaultStart + (256UL << 20) };

    /// <summary>Sequence length of every oracle run (<see cref="OracleSettings.OpsPerSeed"/>).</summary>
    public static int OpsPerSeed => OracleSettings.OpsPerSeed;
}
