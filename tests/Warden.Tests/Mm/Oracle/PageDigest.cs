namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// A page's contents as one number, computed alike by the oracle's C child and in C#: FNV-1a over
/// the page's bytes with the low bit set, so that no page's digest is 0 (the digest of "nothing
/// mapped").
/// </summary>
public static class PageDigest
{
    /// <summary>The digest of <paramref name="page"/>'s bytes.</summary>
    public static ulong Of(ReadOnlySpan<byte> page)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in page)
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }
        return hash | 1;
    }
}
