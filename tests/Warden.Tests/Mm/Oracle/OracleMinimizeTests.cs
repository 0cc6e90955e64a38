using Xunit;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// A tool more than a test: with <c>WARDEN_ORACLE_MINIMIZE=kind:seed</c> (kind <c>main</c>, <c>brk</c>
/// or <c>wide</c>) it runs that seed, shrinks the failing sequence with <see cref="OracleMinimizer"/>
/// and fails with the short repro; without the variable it is skipped.
/// </summary>
[Collection(OracleCollection.Name)]
public class OracleMinimizeTests
{
    [SkippableFact]
    public void MinimizeTheNamedSeed()
    {
        string? request = Environment.GetEnvironmentVariable("WARDEN_ORACLE_MINIMIZE");
        Skip.If(string.IsNullOrEmpty(request), "WARDEN_ORACLE_MINIMIZE is not set.");
        string[] parts = request!.Split(':');
        string kind = parts[0];
        int seed = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        List<OracleOp> ops;
        string? report;
        using (var pair = Pair.Start(kind))
        {
            report = OracleRunner.Run(seed, OracleCollection.OpsPerSeed, pair.Kernel, pair.Warden, out ops, pair.InitialBrk, wide: kind == "wide");
        }
        Assert.True(report is not null, $"{kind} seed {seed} does not fail.");
        (List<OracleOp> small, string problem) = OracleMinimizer.Minimize(ops, candidate =>
        {
            using var pair = Pair.Start(kind);
            return OracleRunner.Replay(candidate, pair.Kernel, pair.Warden, kind == "wide");
        });
        Assert.Fail($"{kind} seed {seed}: {small.Count} of {ops.Count} ops still fail:\n{OracleOp.ListText(small, small.Count)}{problem}\n\nThe first report:\n{report}");
    }

    private sealed class Pair : IDisposable
    {
        private Pair(IOracleTarget kernel, IOracleTarget warden, ulong initialBrk)
        {
            Kernel = kernel;
            Warden = warden;
            InitialBrk = initialBrk;
        }

        public IOracleTarget Kernel { get; }

        public IOracleTarget Warden { get; }

        public ulong InitialBrk { get; }

        public static Pair Start(string kind)
        {
            if (kind == "main")
            {
                return new Pair(new KernelTarget(OracleWindow.Default), new WardenTarget(OracleWindow.Default), 0);
            }
            ChildProcessKernelTarget child = ChildProcessKernelTarget.Start(OracleWindow.Default);
            return new Pair(child, new WardenTarget(child.Window, child.InitialBrk, child.HeapStart), child.InitialBrk);
        }

        public void Dispose()
        {
            Warden.Dispose();
            Kernel.Dispose();
        }
    }
}
