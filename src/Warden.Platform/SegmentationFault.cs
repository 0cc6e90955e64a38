using Warden.Errors;
using Warden.HostArch;

namespace Warden.Platform;

/// <summary>
/// Returned by <see cref="IAddressSpaceIO"/> methods when an access hits an unmapped page, or a
/// mapped page whose permissions do not allow it.
/// </summary>
/// <remarks>Allocates: one instance per fault, carrying where the fault happened.</remarks>
public sealed class SegmentationFault : Error
{
    /// <summary>Creates the error for a fault at <paramref name="addr"/>.</summary>
    public SegmentationFault(Addr addr) => Addr = addr;

    /// <summary>The address at which the access faulted.</summary>
    public Addr Addr { get; }

    /// <summary>Formats as <c>segmentation fault at 0x1234</c> (lower-case hexadecimal).</summary>
    public override string Message => $"segmentation fault at {Addr}";
}
