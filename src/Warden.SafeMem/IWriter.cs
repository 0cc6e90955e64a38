using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>A sink of bytes that writes straight from <see cref="Block"/>s.</summary>
public interface IWriter
{
    /// <summary>Writes up to <c>srcs.NumBytes</c> bytes from <paramref name="srcs"/>, in order.</summary>
    /// <returns>The number of bytes written and, when fewer than <c>srcs.NumBytes</c>, possibly an error saying why.</returns>
    /// <remarks>
    /// <b>Postconditions:</b> a partial write may come without an error (as with a short
    /// <c>write(2)</c>); a complete write never carries one. The blocks are not retained after the call.
    /// </remarks>
    (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs);
}
