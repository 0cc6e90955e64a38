using Warden.Cli;

namespace Warden.Tests.Infrastructure;

/// <summary>An <see cref="IExecutableProbe"/> over a fixed set of paths, recording what it was asked, in order.</summary>
internal sealed class FakeExecutableProbe(IReadOnlyDictionary<string, ProbeResult> files) : IExecutableProbe
{
    public List<string> Probed { get; } = [];

    public ProbeResult Probe(string path)
    {
        Probed.Add(path);
        return files.TryGetValue(path, out ProbeResult result) ? result : ProbeResult.Missing;
    }
}
