using System.Buffers.Binary;

namespace Warden.Kernel.Loader;

/// <summary>
/// The auxiliary vector Linux gave the Warden process itself (its <c>/proc/self/auxv</c>), read once:
/// the CPU's feature bits and the minimum signal stack size are passed on to programs as they are.
/// </summary>
internal static class HostAuxv
{
    /// <summary>What glibc assumes when the kernel gives no AT_MINSIGSTKSZ (x86's MINSIGSTKSZ).</summary>
    public const ulong DefaultMinSigStackSize = 2048;

    private static readonly Lazy<Dictionary<ulong, ulong>> s_entries = new(Read);

    /// <summary>The host's AT_HWCAP (0 if unknown).</summary>
    public static ulong HwCap => Lookup(AuxvType.AT_HWCAP) ?? 0;

    /// <summary>The host's AT_HWCAP2 (0 if unknown).</summary>
    public static ulong HwCap2 => Lookup(AuxvType.AT_HWCAP2) ?? 0;

    /// <summary>The host's AT_MINSIGSTKSZ (<see cref="DefaultMinSigStackSize"/> if it gave none).</summary>
    public static ulong MinSigStackSize => Lookup(AuxvType.AT_MINSIGSTKSZ) ?? DefaultMinSigStackSize;

    /// <summary>The host's value for <paramref name="type"/>, if it has one.</summary>
    public static ulong? Lookup(ulong type) => s_entries.Value.TryGetValue(type, out ulong value) ? value : null;

    private static Dictionary<ulong, ulong> Read()
    {
        var entries = new Dictionary<ulong, ulong>();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes("/proc/self/auxv");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No procfs: every value takes its default.
            return entries;
        }
        for (int i = 0; i + 16 <= bytes.Length; i += 16)
        {
            ulong type = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i));
            if (type == AuxvType.AT_NULL)
            {
                break;
            }
            entries[type] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i + 8));
        }
        return entries;
    }
}
