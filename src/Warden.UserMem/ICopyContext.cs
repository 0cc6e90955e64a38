using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

/// <summary>
/// What code that encodes and decodes structures in application memory needs (gVisor's
/// <c>marshal.CopyContext</c>): byte copies at an address and a scratch buffer to encode into.
/// </summary>
public interface ICopyContext
{
    /// <summary>Returns a buffer of exactly <paramref name="size"/> bytes, valid until the next call.</summary>
    Span<byte> CopyScratchBuffer(int size);

    /// <summary>Copies <c>dst.Length</c> bytes from application memory at <paramref name="addr"/>.</summary>
    (int Count, Error? Error) CopyInBytes(Addr addr, Span<byte> dst);

    /// <summary>Copies <paramref name="src"/> to application memory at <paramref name="addr"/>.</summary>
    (int Count, Error? Error) CopyOutBytes(Addr addr, ReadOnlySpan<byte> src);
}
