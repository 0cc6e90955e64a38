using Warden.HostArch;
using Warden.MemMap;
using Xunit;

namespace Warden.Tests.Infrastructure;

/// <summary>
/// An <see cref="IMappingSpace"/> that records every <see cref="Invalidate"/> call, in order, and
/// fails the test (<see cref="Assert.Fail"/>) when a call breaks the contract's preconditions (an
/// empty, ill-formed or non-page-aligned range).
/// </summary>
/// <param name="name">What <see cref="ToString"/> returns, so that assertion messages say which space is meant.</param>
public sealed class RecordingMappingSpace(string name) : IMappingSpace
{
    /// <summary>The calls received, oldest first.</summary>
    public List<(AddrRange Range, InvalidateOpts Opts)> Calls { get; } = [];

    /// <summary>The ranges of the calls received, oldest first.</summary>
    public IEnumerable<AddrRange> Ranges => Calls.Select(c => c.Range);

    /// <inheritdoc/>
    public void Invalidate(AddrRange ar, InvalidateOpts opts)
    {
        if (!ar.WellFormed || ar.Length == 0)
        {
            Assert.Fail($"{name}.Invalidate({ar}): the range must be non-empty (IMappingSpace precondition).");
        }
        if (!ar.IsPageAligned)
        {
            Assert.Fail($"{name}.Invalidate({ar}): the range must be page-aligned (IMappingSpace precondition).");
        }
        Calls.Add((ar, opts));
    }

    /// <summary>Forgets the calls recorded so far.</summary>
    public void Clear() => Calls.Clear();

    /// <inheritdoc/>
    public override string ToString() => name;
}
