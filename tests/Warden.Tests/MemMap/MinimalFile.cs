using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.SafeMem;

namespace Warden.Tests.MemMap;

/// <summary>
/// The smallest <see cref="IFile"/>: it implements only the members without a default, so
/// <see cref="IFile.BufferReadAt"/> and <see cref="IFile.BufferWriteAt"/> are the interface's own.
/// Good wherever a test needs "some file" (a <see cref="Translation"/>'s <c>File</c>).
/// </summary>
internal sealed class MinimalFile(string name = "file") : IFile
{
    public int FD => -1;

    public void IncRef(FileRange fr, uint memCgID)
    {
    }

    public void DecRef(FileRange fr)
    {
    }

    public (BlockSeq Blocks, Error? Error) MapInternal(FileRange fr, AccessType at) => (BlockSeq.Empty, Errno.EIO);

    public (int FD, Error? Error) DataFD(FileRange fr) => (-1, Errno.EIO);

    public override string ToString() => name;
}
