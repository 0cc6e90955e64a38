using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.SafeMem;

namespace Warden.Tests.Platforms.Ptrace;

/// <summary>An <see cref="IFile"/> over a host file descriptor the test owns, for mapping ordinary files into a stub.</summary>
internal sealed class HostFdFile(int fd) : IFile
{
    public int FD => fd;

    public void IncRef(FileRange fr, uint memCgID)
    {
    }

    public void DecRef(FileRange fr)
    {
    }

    public (BlockSeq Blocks, Error? Error) MapInternal(FileRange fr, AccessType at) => (BlockSeq.Empty, Errno.EIO);

    public (int FD, Error? Error) DataFD(FileRange fr) => (fd, null);
}
