using System.Diagnostics.CodeAnalysis;
using Warden.Errors;

namespace Warden.Platform;

/// <summary>Bytes of memory in use, by <see cref="MemoryKind"/>. Thread-safe and lock-free.</summary>
/// <remarks>
/// <para>
/// Each kind's counter changes atomically, but a <see cref="Snapshot"/> or <see cref="Total"/> reads
/// the counters one after another: while other threads update them it may mix states from
/// moments apart (during a <see cref="Move"/>, the bytes may be counted in neither kind).
/// </para>
/// <para>
/// Counters never go below zero: a <see cref="Dec"/> or <see cref="Move"/> of more bytes than a kind
/// holds is the caller's bug and throws, changing nothing.
/// </para>
/// </remarks>
public sealed class MemoryAccounting
{
    private const int KindCount = (int)MemoryKind.Mapped + 1;

    // One counter per MemoryKind, indexed by its value; updated only through Interlocked.
    private readonly ulong[] _bytes = new ulong[KindCount];

    /// <summary>Adds <paramref name="bytes"/> to <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="MemoryKind"/>.</exception>
    public void Inc(ulong bytes, MemoryKind kind) => Interlocked.Add(ref _bytes[Index(kind)], bytes);

    /// <summary>Takes <paramref name="bytes"/> from <paramref name="kind"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="kind"/> holds at least <paramref name="bytes"/> bytes.</remarks>
    /// <exception cref="InvalidOperationException">The counter would go below zero; it is left unchanged.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="MemoryKind"/>.</exception>
    public void Dec(ulong bytes, MemoryKind kind)
    {
        ref ulong counter = ref _bytes[Index(kind)];
        ulong current = Volatile.Read(ref counter);
        while (true)
        {
            if (current < bytes)
            {
                ThrowUnderflow(bytes, kind, current);
            }
            ulong seen = Interlocked.CompareExchange(ref counter, current - bytes, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>Moves <paramref name="bytes"/> from kind <paramref name="from"/> to kind <paramref name="to"/>.</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="from"/> holds at least <paramref name="bytes"/> bytes.</remarks>
    /// <exception cref="InvalidOperationException"><paramref name="from"/> would go below zero; nothing changes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A kind is not a defined <see cref="MemoryKind"/>; nothing changes.</exception>
    public void Move(ulong bytes, MemoryKind to, MemoryKind from)
    {
        Index(to);
        Dec(bytes, from);
        Inc(bytes, to);
    }

    /// <summary>The bytes currently counted for <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="MemoryKind"/>.</exception>
    public ulong Get(MemoryKind kind) => Interlocked.Read(ref _bytes[Index(kind)]);

    /// <summary>Returns every kind's counter (read one after another; see the class remarks).</summary>
    public MemoryStats Snapshot() => new(
        Get(MemoryKind.System),
        Get(MemoryKind.Anonymous),
        Get(MemoryKind.PageCache),
        Get(MemoryKind.Tmpfs),
        Get(MemoryKind.Ramdiskfs),
        Get(MemoryKind.Mapped));

    /// <summary>
    /// The bytes of every kind except <see cref="MemoryKind.Mapped"/>, which is memory from outside the
    /// memory file (as <see cref="IMemory.TotalUsage"/> is defined).
    /// </summary>
    public ulong Total() => Snapshot().Total;

    private static int Index(MemoryKind kind)
    {
        if ((uint)kind >= KindCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(kind), kind, "Not a defined MemoryKind.");
        }
        return (int)kind;
    }

    [DoesNotReturn]
    private static void ThrowUnderflow(ulong bytes, MemoryKind kind, ulong current) =>
        ThrowHelper.ThrowInvalidOperation(
            "Memory accounting underflow: cannot take {0} bytes from {1}, which holds {2}.", bytes, kind, current);
}
