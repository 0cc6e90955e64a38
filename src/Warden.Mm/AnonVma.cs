namespace Warden.Mm;

/// <summary>
/// The identity of the anonymous memory written through a private vma (Linux's anon_vma): created
/// by the first write fault, shared by the pieces a vma is split into, and reused by an adjacent
/// compatible vma. Two vmas with different identities never merge, as on Linux.
/// </summary>
internal sealed class AnonVma;
