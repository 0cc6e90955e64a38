namespace Warden.Interop;

/// <summary>A host file's identity: its device and inode numbers.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode);
