using Warden.HostArch;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>
/// The pma a thread's last copy went through (a one-entry software TLB): a copy that falls inside
/// it again skips the pma lookup. Kept per thread, so readers never share one.
/// </summary>
/// <remarks>
/// Valid only while <see cref="Generation"/> equals the memory manager's active-lock generation,
/// which changes whenever pmas may change and is unique across memory managers; so a hint can never
/// be used for another address space, or after its pma changed, and it holds no reference to either.
/// </remarks>
internal struct CopyHint
{
    /// <summary>The active-lock generation the hint was made under; 0 for no hint.</summary>
    public long Generation;

    /// <summary>The pma's range.</summary>
    public ulong Start;

    /// <summary>The end of the pma's range.</summary>
    public ulong End;

    /// <summary>The pma's internal mapping, for all of [Start, End).</summary>
    public Block Mapping;

    /// <summary>The pma's <see cref="Pma.EffectivePerms"/>.</summary>
    public AccessType EffectivePerms;

    /// <summary>The pma's <see cref="Pma.MaxPerms"/>.</summary>
    public AccessType MaxPerms;

    /// <summary>The pma's <see cref="Pma.NeedCOW"/>.</summary>
    public bool NeedCOW;
}
