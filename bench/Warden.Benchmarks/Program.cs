using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Every job runs in this process (InProcessEmitToolchain). BenchmarkDotNet 0.14.0 predates .NET 10,
// but its default toolchain does cope with net10.0 (checked on a copy of the tree: it generates,
// restores and builds a net10.0 project and runs it). It is not used because:
//  - that project references this one and is restored and built by a separate `dotnet` that knows
//    nothing of the --artifacts-path these benchmarks were built with, so it restores the Warden
//    projects into their default obj/ folders in the source tree, where other builds run; and
//  - the extra build costs about 17 s per run on the 2-core machine the results come from.
// In-process runs lose only process isolation, which these benchmarks (one runtime, no environment
// variables or runtime settings of their own) do not need.
// The job is a mutator, so it only sets the toolchain: `--job short`, `--job dry` and the other
// command-line job options still choose the run length.
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator())
    // The median is what RESULTS.md reports; BenchmarkDotNet shows it only for skewed samples.
    .AddColumn(StatisticColumn.Median)
    // Results go beside the binaries rather than into the current directory; --artifacts overrides.
    .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
