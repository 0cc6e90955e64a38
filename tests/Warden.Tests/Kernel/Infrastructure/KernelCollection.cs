using Xunit;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// The kernel's end-to-end tests run alone, one at a time: after each run they check that this
/// process has no stub child and no descriptor more than before, which other tests running at the
/// same time (their own stubs, their own files) would make meaningless.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "Kernel end-to-end";
}
