using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>A source of bytes that reads straight into <see cref="Block"/>s.</summary>
public interface IReader
{
    /// <summary>Reads up to <c>dsts.NumBytes</c> bytes into <paramref name="dsts"/>, in order.</summary>
    /// <returns>
    /// The number of bytes read and, when fewer than <c>dsts.NumBytes</c>, possibly an error saying why
    /// (<see cref="WellKnownErrors.EndOfStream"/> when the source is exhausted).
    /// </returns>
    /// <remarks>
    /// <b>Postconditions:</b> a partial read may come without an error (as with a short
    /// <c>read(2)</c>); a complete read never carries one. The blocks are not retained after the call.
    /// </remarks>
    (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts);
}
