using Warden.Errors;
using Warden.HostArch;
using Warden.Interop;
using Warden.SafeMem;

namespace Warden.PgAlloc;

public sealed partial class MemoryFile
{
    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions:</b> <paramref name="fr"/> is non-empty and every page it touches holds a
    /// reference (not checked: that would need the lock).</para>
    /// <para><b>Postconditions:</b> the blocks lie in the file's chunk mappings and stay valid until the
    /// pages are freed: one block (allocating nothing) when the chunks lie side by side in the file's
    /// reservation, as they do unless the host refused it, and the range is shorter than 2 GiB; one block
    /// per chunk otherwise. Execute access is refused with <c>EACCES</c>. Once the chunks are mapped
    /// this takes no lock and makes no system call.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="fr"/> is empty or beyond the file's maximum size.</exception>
    public unsafe (BlockSeq Blocks, Error? Error) MapInternal(FileRange fr, AccessType at)
    {
        ThrowIfDestroyed();
        CheckInFile(fr, nameof(fr));
        if (at.Execute)
        {
            return (default, Errno.EACCES);
        }
        int first = (int)(fr.Start >> _chunkShift);
        int last = (int)((fr.End - 1) >> _chunkShift);
        ulong offsetMask = _chunkSize - 1;
        if (first == last || (_reservation != 0 && fr.Length <= int.MaxValue))
        {
            // Every chunk the range crosses must be mapped; in the reservation they follow the first.
            for (int i = first + 1; i <= last; i++)
            {
                (_, Error? chunkError) = Chunk(i);
                if (chunkError is not null)
                {
                    return (default, chunkError);
                }
            }
            (nint chunk, Error? error) = Chunk(first);
            if (error is not null)
            {
                return (default, error);
            }
            return (BlockSeq.Of(Block.FromPointer((byte*)chunk + (fr.Start & offsetMask), (int)fr.Length)), null);
        }

        var blocks = new Block[last - first + 1];
        ulong pos = fr.Start;
        for (int i = first; i <= last; i++)
        {
            (nint chunk, Error? error) = Chunk(i);
            if (error is not null)
            {
                return (default, error);
            }
            ulong end = Math.Min(((ulong)i + 1) << _chunkShift, fr.End);
            blocks[i - first] = Block.FromPointer((byte*)chunk + (pos & offsetMask), (int)(end - pos));
            pos = end;
        }
        return (BlockSeq.FromArray(blocks), null);
    }

    // The address of chunk i's mapping, mapping it first if need be (only then under _lock).
    private (nint Address, Error? Error) Chunk(int i)
    {
        nint address = Volatile.Read(ref _chunks[i]);
        if (address != 0)
        {
            return (address, null);
        }
        lock (_lock)
        {
            ThrowIfDestroyed();
            return ChunkLocked(i);
        }
    }

    // Like Chunk, with _lock held.
    private unsafe (nint Address, Error? Error) ChunkLocked(int i)
    {
        nint address = _chunks[i];
        if (address != 0)
        {
            return (address, null);
        }
        // The mapping may reach past the file's end; only allocated pages, which are inside it, are touched.
        ulong offset = (ulong)i << _chunkShift;
        (nint mapped, Errno? error) = _reservation != 0
            ? Libc.Mmap((void*)(_reservation + (nint)offset), (nuint)_chunkSize, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE, LinuxMman.MAP_SHARED | LinuxMman.MAP_FIXED, _fd, (long)offset)
            : Libc.Mmap(null, (nuint)_chunkSize, LinuxMman.PROT_READ | LinuxMman.PROT_WRITE, LinuxMman.MAP_SHARED, _fd, (long)offset);
        if (error is not null)
        {
            return (0, error);
        }
        Volatile.Write(ref _chunks[i], mapped);
        return (mapped, null);
    }
}
