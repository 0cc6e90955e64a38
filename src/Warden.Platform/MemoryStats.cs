using Warden.Errors;
namespace Warden.Platform;

/// <summary>A snapshot of <see cref="MemoryAccounting"/>: the bytes in use for each <see cref="MemoryKind"/>.</summary>
/// <param name="System">Bytes of <see cref="MemoryKind.System"/> memory.</param>
/// <param name="Anonymous">Bytes of <see cref="MemoryKind.Anonymous"/> memory.</param>
/// <param name="PageCache">Bytes of <see cref="MemoryKind.PageCache"/> memory.</param>
/// <param name="Tmpfs">Bytes of <see cref="MemoryKind.Tmpfs"/> memory.</param>
/// <param name="Ramdiskfs">Bytes of <see cref="MemoryKind.Ramdiskfs"/> memory.</param>
/// <param name="Mapped">Bytes of <see cref="MemoryKind.Mapped"/> memory.</param>
public readonly record struct MemoryStats(ulong System, ulong Anonymous, ulong PageCache, ulong Tmpfs, ulong Ramdiskfs, ulong Mapped)
{
    /// <summary>The bytes of every kind except <see cref="MemoryKind.Mapped"/> (what <see cref="IMemory.TotalUsage"/> reports).</summary>
    public ulong Total => System + Anonymous + PageCache + Tmpfs + Ramdiskfs;

    /// <summary>The bytes of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="MemoryKind"/>.</exception>
    public ulong this[MemoryKind kind] => kind switch
    {
        MemoryKind.System => System,
        MemoryKind.Anonymous => Anonymous,
        MemoryKind.PageCache => PageCache,
        MemoryKind.Tmpfs => Tmpfs,
        MemoryKind.Ramdiskfs => Ramdiskfs,
        MemoryKind.Mapped => Mapped,
        _ => ThrowUnknownKind(kind),
    };

    private static ulong ThrowUnknownKind(MemoryKind kind)
    {
        ThrowHelper.ThrowArgumentOutOfRange(nameof(kind), kind, "Not a defined MemoryKind.");
        return 0;
    }
}
