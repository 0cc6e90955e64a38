using System.Diagnostics.CodeAnalysis;
using Warden.Errors;

namespace Warden.HostArch;

/// <summary>An address in an application's (or the host's) virtual address space.</summary>
/// <remarks>
/// Arithmetic that a program's input can overflow is done with <see cref="AddLength"/>,
/// <see cref="RoundUp"/> and <see cref="ToRange"/>, which report overflow. The operators
/// <c>+</c> and <c>-</c> are for arithmetic the caller knows cannot overflow: they throw
/// <see cref="OverflowException"/> rather than wrap.
/// </remarks>
public readonly struct Addr : IEquatable<Addr>, IComparable<Addr>, ISpanFormattable
{
    /// <summary>The address zero.</summary>
    public static readonly Addr Zero;

    /// <summary>The highest address, 2^64 - 1.</summary>
    public static readonly Addr MaxValue = new(ulong.MaxValue);

    /// <summary>Creates the address <paramref name="value"/>.</summary>
    public Addr(ulong value) => Value = value;

    /// <summary>The address as an integer.</summary>
    public ulong Value { get; }

    /// <summary>Returns whether this address is a multiple of <see cref="Arch.PageSize"/>.</summary>
    public bool IsPageAligned => Arch.IsPageAligned(Value);

    /// <summary>The offset of this address within its page.</summary>
    public ulong PageOffset => Value & Arch.PageMask;

    /// <summary>Returns this address rounded down to a page boundary.</summary>
    public Addr RoundDown() => new(Arch.PageRoundDown(Value));

    /// <summary>Returns this address rounded up to a page boundary.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if rounding up overflows; <c>Rounded</c> is then meaningless.</returns>
    public (Addr Rounded, bool Ok) RoundUp()
    {
        (ulong rounded, bool ok) = Arch.PageRoundUp(Value);
        return (new Addr(rounded), ok);
    }

    /// <summary>Returns this address rounded up to a page boundary.</summary>
    /// <exception cref="OverflowException">Rounding up overflows (a caller's bug: use <see cref="RoundUp"/>).</exception>
    public Addr MustRoundUp()
    {
        (Addr rounded, bool ok) = RoundUp();
        if (!ok)
        {
            ThrowOverflow("rounding up to a page boundary", this);
        }
        return rounded;
    }

    /// <summary>Returns this address rounded down to a huge page boundary.</summary>
    public Addr HugeRoundDown() => new(Arch.HugePageRoundDown(Value));

    /// <summary>Returns this address rounded up to a huge page boundary.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if rounding up overflows.</returns>
    public (Addr Rounded, bool Ok) HugeRoundUp()
    {
        (ulong rounded, bool ok) = Arch.HugePageRoundUp(Value);
        return (new Addr(rounded), ok);
    }

    /// <summary>Returns the address <paramref name="length"/> bytes past this one.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if the sum overflows; <c>End</c> is then meaningless.</returns>
    public (Addr End, bool Ok) AddLength(ulong length)
    {
        ulong end = Value + length;
        return (new Addr(end), end >= Value);
    }

    /// <summary>Returns the range of <paramref name="length"/> bytes starting at this address.</summary>
    /// <returns><c>Ok</c> is <c>false</c> if the range would extend past the top of the address space.</returns>
    public (AddrRange Range, bool Ok) ToRange(ulong length)
    {
        (Addr end, bool ok) = AddLength(length);
        return (new AddrRange(this, end), ok);
    }

    /// <summary>Adds a byte count the caller knows cannot overflow.</summary>
    /// <exception cref="OverflowException">The sum overflows.</exception>
    public static Addr operator +(Addr addr, ulong length)
    {
        (Addr end, bool ok) = addr.AddLength(length);
        if (!ok)
        {
            ThrowOverflow("adding a length", addr);
        }
        return end;
    }

    /// <summary>Subtracts a byte count the caller knows cannot underflow.</summary>
    /// <exception cref="OverflowException">The difference is negative.</exception>
    public static Addr operator -(Addr addr, ulong length)
    {
        if (length > addr.Value)
        {
            ThrowOverflow("subtracting a length", addr);
        }
        return new Addr(addr.Value - length);
    }

    /// <summary>The distance from <paramref name="start"/> up to <paramref name="end"/>.</summary>
    /// <exception cref="OverflowException"><paramref name="end"/> is below <paramref name="start"/>.</exception>
    public static ulong operator -(Addr end, Addr start)
    {
        if (start.Value > end.Value)
        {
            ThrowOverflow("subtracting a higher address", end);
        }
        return end.Value - start.Value;
    }

    /// <summary>Converts to the integer value (lossless).</summary>
    public static implicit operator ulong(Addr addr) => addr.Value;

    /// <summary>Converts an integer to an address.</summary>
    public static explicit operator Addr(ulong value) => new(value);

    /// <inheritdoc/>
    public static bool operator ==(Addr left, Addr right) => left.Value == right.Value;

    /// <inheritdoc/>
    public static bool operator !=(Addr left, Addr right) => left.Value != right.Value;

    /// <inheritdoc/>
    public static bool operator <(Addr left, Addr right) => left.Value < right.Value;

    /// <inheritdoc/>
    public static bool operator >(Addr left, Addr right) => left.Value > right.Value;

    /// <inheritdoc/>
    public static bool operator <=(Addr left, Addr right) => left.Value <= right.Value;

    /// <inheritdoc/>
    public static bool operator >=(Addr left, Addr right) => left.Value >= right.Value;

    /// <inheritdoc/>
    public bool Equals(Addr other) => Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Addr other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(Addr other) => Value.CompareTo(other.Value);

    /// <summary>Formats as <c>0x</c> followed by lower-case hex digits.</summary>
    public override string ToString() => $"0x{Value:x}";

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(provider, $"0x{Value:x}", out charsWritten);

    [DoesNotReturn]
    private static void ThrowOverflow(string operation, Addr addr) =>
        ThrowHelper.ThrowOverflow("Address arithmetic overflowed while {0} at {1}.", operation, addr);
}
