namespace Warden.HostArch;

/// <summary>A set of memory access kinds: read, write and execute.</summary>
/// <remarks>
/// As a permission it says what is allowed; as a fault it says what was attempted. The predefined
/// sets are <see cref="NoAccess"/>, <see cref="ReadOnly"/>, <see cref="WriteOnly"/>,
/// <see cref="ExecuteOnly"/>, <see cref="ReadWrite"/>, <see cref="ReadExecute"/> and <see cref="AnyAccess"/>.
/// </remarks>
/// <param name="Read">Reads are included.</param>
/// <param name="Write">Writes are included.</param>
/// <param name="Execute">Instruction fetches are included.</param>
public readonly record struct AccessType(bool Read, bool Write, bool Execute)
{
    /// <summary>No access at all (<c>---</c>).</summary>
    public static readonly AccessType NoAccess = new(false, false, false);

    /// <summary>Read only (<c>r--</c>).</summary>
    public static readonly AccessType ReadOnly = new(true, false, false);

    /// <summary>Write only (<c>-w-</c>).</summary>
    public static readonly AccessType WriteOnly = new(false, true, false);

    /// <summary>Execute only (<c>--x</c>).</summary>
    public static readonly AccessType ExecuteOnly = new(false, false, true);

    /// <summary>Read and write (<c>rw-</c>).</summary>
    public static readonly AccessType ReadWrite = new(true, true, false);

    /// <summary>Read and execute (<c>r-x</c>).</summary>
    public static readonly AccessType ReadExecute = new(true, false, true);

    /// <summary>Every access (<c>rwx</c>).</summary>
    public static readonly AccessType AnyAccess = new(true, true, true);

    /// <summary>Whether the set includes at least one access kind.</summary>
    public bool Any => Read || Write || Execute;

    /// <summary>Returns the access set for the <c>PROT_*</c> bits in <paramref name="prot"/> (other bits are ignored).</summary>
    public static AccessType FromProt(int prot) =>
        new((prot & LinuxMman.PROT_READ) != 0, (prot & LinuxMman.PROT_WRITE) != 0, (prot & LinuxMman.PROT_EXEC) != 0);

    /// <summary>Returns the <c>PROT_*</c> bits for this set.</summary>
    public int ToProt() => (Read ? LinuxMman.PROT_READ : 0) | (Write ? LinuxMman.PROT_WRITE : 0) | (Execute ? LinuxMman.PROT_EXEC : 0);

    /// <summary>
    /// The accesses this permission actually allows on x86-64, where a page that can be written or
    /// executed can also be read.
    /// </summary>
    public AccessType Effective() => this with { Read = Read || Write || Execute };

    /// <summary>Whether this set includes every access in <paramref name="other"/>.</summary>
    public bool SupersetOf(AccessType other) =>
        (Read || !other.Read) && (Write || !other.Write) && (Execute || !other.Execute);

    /// <summary>The accesses in both sets.</summary>
    public AccessType Intersect(AccessType other) =>
        new(Read && other.Read, Write && other.Write, Execute && other.Execute);

    /// <summary>The accesses in either set.</summary>
    public AccessType Union(AccessType other) =>
        new(Read || other.Read, Write || other.Write, Execute || other.Execute);

    /// <summary>Formats as in <c>/proc/[pid]/maps</c>: <c>rwx</c>, with <c>-</c> for each missing access.</summary>
    public override string ToString() => string.Create(3, this, static (chars, a) =>
    {
        chars[0] = a.Read ? 'r' : '-';
        chars[1] = a.Write ? 'w' : '-';
        chars[2] = a.Execute ? 'x' : '-';
    });
}
