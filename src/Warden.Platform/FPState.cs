using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Platform;

/// <summary>
/// A thread's floating-point, SSE and AVX state, as an x86 <c>XSAVE</c> area in the standard
/// (uncompacted) format: the 512-byte legacy <c>FXSAVE</c> region, the 64-byte XSAVE header, then
/// the extended components.
/// </summary>
/// <remarks>
/// <para>
/// The buffer is 64-byte aligned (as <c>XSAVE</c> requires) and never moves, so <see cref="Block"/>
/// can be handed to system calls such as <c>PTRACE_GETREGSET</c> with <c>NT_X86_XSTATE</c>.
/// Its default size, <see cref="HostSize"/>, is what the host's enabled features need.
/// </para>
/// <para>Not thread-safe: it belongs to one thread's <see cref="ArchContext"/>.</para>
/// </remarks>
public sealed class FPState
{
    /// <summary>The size of the legacy <c>FXSAVE</c> region at the start of the area.</summary>
    public const int LegacyRegionSize = 512;

    /// <summary>The size of the XSAVE header that follows the legacy region.</summary>
    public const int XsaveHeaderSize = 64;

    /// <summary>The smallest area: the legacy region and the XSAVE header.</summary>
    public const int MinimumSize = LegacyRegionSize + XsaveHeaderSize;

    /// <summary>The alignment of the area's start, in bytes (<c>XSAVE</c> requires 64).</summary>
    public const int Alignment = 64;

    /// <summary>The offset of the x87 control word (<c>FCW</c>, 2 bytes) in the legacy region.</summary>
    public const int FcwOffset = 0;

    /// <summary>The offset of <c>MXCSR</c> (4 bytes) in the legacy region.</summary>
    public const int MxcsrOffset = 24;

    /// <summary>The x87 control word after <c>FNINIT</c>: all exceptions masked, extended precision, round to nearest.</summary>
    public const ushort InitialFcw = 0x37f;

    /// <summary>The <c>MXCSR</c> value at reset: all SSE exceptions masked, round to nearest.</summary>
    public const uint InitialMxcsr = 0x1f80;

    // Allocated from PinnedArrays, so it never moves; the area is _array[_offset .. _offset + Size).
    private readonly byte[] _array;
    private readonly int _offset;

    /// <summary>Creates an area of <see cref="HostSize"/> bytes in the initial state (see <see cref="Reset"/>).</summary>
    public FPState()
        : this(HostSize)
    {
    }

    /// <summary>Creates an area of <paramref name="size"/> bytes in the initial state (see <see cref="Reset"/>).</summary>
    /// <remarks><b>Preconditions:</b> <paramref name="size"/> is at least <see cref="MinimumSize"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below <see cref="MinimumSize"/>.</exception>
    public FPState(int size)
    {
        if (size < MinimumSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size), size, "An XSAVE area holds at least {0} bytes.", MinimumSize);
        }
        // Over-allocate so that a 64-byte-aligned start exists; the array cannot move, so the
        // alignment found now holds for its whole life.
        _array = PinnedArrays.Allocate(size + Alignment - 1);
        nint address = Block.FromPinnedArray(_array).Address;
        _offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1));
        Size = size;
        Block = Block.FromPinnedArray(_array, _offset, size);
        Reset();
    }

    /// <summary>
    /// The size of the XSAVE area for the features the host has enabled (<c>CPUID</c> leaf <c>0xD</c>,
    /// sub-leaf 0, <c>EBX</c>); <see cref="MinimumSize"/> if the host lacks <c>XSAVE</c> (or is not x86).
    /// </summary>
    public static int HostSize { get; } = QueryHostSize();

    /// <summary>The size of the area in bytes.</summary>
    public int Size { get; }

    /// <summary>The area as a block: 64-byte aligned, <see cref="Size"/> bytes, valid while this object lives.</summary>
    public Block Block { get; }

    /// <summary>Returns the whole area.</summary>
    public Span<byte> AsSpan() => _array.AsSpan(_offset, Size);

    /// <summary>Returns the legacy <c>FXSAVE</c> region: the first <see cref="LegacyRegionSize"/> bytes.</summary>
    public Span<byte> LegacyRegion() => _array.AsSpan(_offset, LegacyRegionSize);

    /// <summary>
    /// Puts the area in the state a new thread starts with: <c>FCW</c> = <see cref="InitialFcw"/>,
    /// <c>MXCSR</c> = <see cref="InitialMxcsr"/>, every other byte zero.
    /// </summary>
    /// <remarks>
    /// With the XSAVE header zero, <c>XRSTOR</c> puts every component in its initial configuration;
    /// the explicit <c>FCW</c> and <c>MXCSR</c> make the legacy region say the same to anything
    /// that reads it as <c>FXSAVE</c> data.
    /// </remarks>
    public void Reset()
    {
        Span<byte> area = AsSpan();
        area.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(area[FcwOffset..], InitialFcw);
        BinaryPrimitives.WriteUInt32LittleEndian(area[MxcsrOffset..], InitialMxcsr);
    }

    /// <summary>Copies <paramref name="source"/>'s contents into this area.</summary>
    /// <remarks><b>Preconditions:</b> both areas have the same <see cref="Size"/>.</remarks>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public void CopyFrom(FPState source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Size != Size)
        {
            ThrowHelper.ThrowArgument(nameof(source), "Cannot copy an XSAVE area of {0} bytes into one of {1}.", source.Size, Size);
        }
        source.AsSpan().CopyTo(AsSpan());
    }

    /// <summary>Returns a new area of the same size holding a copy of this one.</summary>
    public FPState Clone()
    {
        var copy = new FPState(Size);
        copy.CopyFrom(this);
        return copy;
    }

    private static int QueryHostSize()
    {
        if (!X86Base.IsSupported)
        {
            return MinimumSize;
        }
        const int xsaveInfoLeaf = 0xD;
        int maxLeaf = X86Base.CpuId(0, 0).Eax;
        if (maxLeaf < xsaveInfoLeaf)
        {
            return MinimumSize;
        }
        // CPUID.1:ECX bit 26 says the CPU has XSAVE, bit 27 that the kernel enabled it.
        const int xsaveBit = 1 << 26;
        const int osxsaveBit = 1 << 27;
        int features = X86Base.CpuId(1, 0).Ecx;
        if ((features & (xsaveBit | osxsaveBit)) != (xsaveBit | osxsaveBit))
        {
            return MinimumSize;
        }
        int enabledSize = X86Base.CpuId(xsaveInfoLeaf, 0).Ebx;
        return Math.Max(enabledSize, MinimumSize);
    }
}
