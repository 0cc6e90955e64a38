using Warden.HostArch;

namespace Warden.Mm;

/// <summary>Whether mremap may, or must, move the mapping.</summary>
public enum MRemapMoveMode
{
    /// <summary>Resize in place or fail (no MREMAP_MAYMOVE).</summary>
    NoMove = 0,

    /// <summary>Move if it cannot be resized in place (MREMAP_MAYMOVE).</summary>
    MayMove,

    /// <summary>Move to <see cref="MRemapOpts.NewAddr"/> (MREMAP_MAYMOVE | MREMAP_FIXED).</summary>
    MustMove,
}

/// <summary>The options of <see cref="MemoryManager.MRemap"/>.</summary>
/// <param name="Move">Whether the mapping may or must move.</param>
/// <param name="NewAddr">The destination (a hint for <see cref="MRemapMoveMode.MayMove"/> with <paramref name="DontUnmap"/>).</param>
/// <param name="DontUnmap">MREMAP_DONTUNMAP: leave the old range mapped (emptied) after a move.</param>
public readonly record struct MRemapOpts(MRemapMoveMode Move, Addr NewAddr = default, bool DontUnmap = false);
