using Warden.Errors;
using Warden.HostArch;

namespace Warden.Platform;

/// <summary>I/O on application memory through the mappings installed in an <see cref="IAddressSpace"/>.</summary>
/// <remarks>
/// <para>
/// Implementations check that the addresses are ones an application can map; a fault on an
/// unmapped page, or one whose permissions forbid the access, is reported as a
/// <see cref="SegmentationFault"/> together with the count done before it.
/// </para>
/// <para>
/// Every method has a default that does nothing and returns
/// <see cref="PlatformErrors.AddressSpaceIOUnavailable"/> (and a zero count): the implementation
/// for platforms whose <see cref="IPlatform.SupportsAddressSpaceIO"/> is <c>false</c>. Callers
/// check that property first and so never see that error.
/// </para>
/// </remarks>
public interface IAddressSpaceIO
{
    /// <summary>Copies <paramref name="src"/> to the memory mapped at <paramref name="addr"/>.</summary>
    /// <returns>The number of bytes copied; fewer than <c>src.Length</c> only with an error saying why.</returns>
    (int Count, Error? Error) CopyOut(Addr addr, ReadOnlySpan<byte> src) => (0, PlatformErrors.AddressSpaceIOUnavailable);

    /// <summary>Copies the memory mapped at <paramref name="addr"/> into <paramref name="dst"/>.</summary>
    /// <returns>The number of bytes copied; fewer than <c>dst.Length</c> only with an error saying why.</returns>
    (int Count, Error? Error) CopyIn(Addr addr, Span<byte> dst) => (0, PlatformErrors.AddressSpaceIOUnavailable);

    /// <summary>Sets the <paramref name="toZero"/> bytes mapped from <paramref name="addr"/> to zero.</summary>
    /// <returns>The number of bytes zeroed; fewer than <paramref name="toZero"/> only with an error saying why.</returns>
    (ulong Count, Error? Error) ZeroOut(Addr addr, ulong toZero) => (0, PlatformErrors.AddressSpaceIOUnavailable);

    /// <summary>Atomically stores <paramref name="newValue"/> in the 32-bit word at <paramref name="addr"/>.</summary>
    /// <returns>The word's previous value, or an error (the value is then meaningless).</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is a multiple of 4.</remarks>
    (uint Value, Error? Error) SwapUint32(Addr addr, uint newValue) => (0, PlatformErrors.AddressSpaceIOUnavailable);

    /// <summary>
    /// Atomically replaces the 32-bit word at <paramref name="addr"/> with <paramref name="newValue"/>
    /// if it equals <paramref name="oldValue"/>.
    /// </summary>
    /// <returns>
    /// The word's value before the operation (equal to <paramref name="oldValue"/> exactly when it was
    /// replaced), or an error (the value is then meaningless).
    /// </returns>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is a multiple of 4.</remarks>
    (uint Value, Error? Error) CompareAndSwapUint32(Addr addr, uint oldValue, uint newValue) =>
        (0, PlatformErrors.AddressSpaceIOUnavailable);

    /// <summary>Atomically reads the 32-bit word at <paramref name="addr"/>.</summary>
    /// <returns>The word's value, or an error (the value is then meaningless).</returns>
    /// <remarks><b>Preconditions:</b> <paramref name="addr"/> is a multiple of 4.</remarks>
    (uint Value, Error? Error) LoadUint32(Addr addr) => (0, PlatformErrors.AddressSpaceIOUnavailable);
}
