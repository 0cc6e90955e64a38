using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>
/// What a copy through a memory manager does with each run of application memory it reaches: a
/// struct (often a ref struct holding the caller's span), so the copy loop is specialised per use.
/// </summary>
internal interface IBlockCopier
{
    /// <summary>
    /// Handles <paramref name="blocks"/>, the application memory at byte <paramref name="done"/> of
    /// the copy. Returns how many bytes it handled (all of them unless it failed) and its error.
    /// </summary>
    (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done);

    /// <summary>
    /// Handles the whole copy at once when its memory is the single span <paramref name="memory"/>, of
    /// exactly the copy's length; returns <see langword="false"/>, doing nothing, if this copier
    /// cannot (then <see cref="Copy"/> is called).
    /// </summary>
    bool TryCopyAll(Span<byte> memory);
}
