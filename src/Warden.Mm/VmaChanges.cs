namespace Warden.Mm;

/// <summary>
/// A change of vma flags applied over a range (madvise, mremap, prctl naming), as a struct so that
/// applying it allocates nothing: no closure, no delegate.
/// </summary>
internal interface IVmaChange
{
    /// <summary>Whether <paramref name="vma"/> already has the change (and so need not be split).</summary>
    bool IsAppliedTo(in Vma vma);

    /// <summary>Makes the change.</summary>
    void ApplyTo(ref Vma vma);
}

/// <summary>MADV_DONTFORK/DOFORK/WIPEONFORK/KEEPONFORK: sets what is not null.</summary>
internal readonly record struct ForkFlagsChange(bool? DontFork, bool? WipeOnFork) : IVmaChange
{
    public bool IsAppliedTo(in Vma vma) =>
        (DontFork is null || vma.DontFork == DontFork) && (WipeOnFork is null || vma.WipeOnFork == WipeOnFork);

    public void ApplyTo(ref Vma vma)
    {
        vma.DontFork = DontFork ?? vma.DontFork;
        vma.WipeOnFork = WipeOnFork ?? vma.WipeOnFork;
    }
}

/// <summary>madvise's flag-setting advice (read pattern, huge pages, dumping, merging): clears <paramref name="Clear"/>, then sets <paramref name="Set"/>.</summary>
internal readonly record struct HintsChange(VmaHints Set, VmaHints Clear) : IVmaChange
{
    public bool IsAppliedTo(in Vma vma) => ((vma.Hints & ~Clear) | Set) == vma.Hints;

    public void ApplyTo(ref Vma vma) => vma.Hints = (vma.Hints & ~Clear) | Set;
}

/// <summary>PR_SET_VMA_ANON_NAME: sets the name.</summary>
internal readonly record struct NameChange(string? Name) : IVmaChange
{
    public bool IsAppliedTo(in Vma vma) => string.Equals(vma.Name, Name, StringComparison.Ordinal);

    public void ApplyTo(ref Vma vma) => vma.Name = Name;
}
