using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.Interop;
using Warden.Platform;

namespace Warden.Mm;

/// <summary>
/// One <see cref="HostFileMappable"/> per unchanged host file, shared by every open of it, so that
/// its pages are read into the memory file once however many processes map or exec it (Linux's page
/// cache is per inode, too), and every mapping of it sees one copy.
/// </summary>
/// <remarks>
/// A file is shared by device, inode and name (what <c>/proc/[pid]/maps</c> shows), whatever the
/// access of each open (a later open lends the mappable the access it lacked; each open maps it
/// with its own access, <see cref="HostFileMappable.OpenedAs"/>), while its size and modification
/// and status-change times stay as Warden last saw or made them; a file changed from outside gets
/// a new mappable (mappings of the old one keep their copy). The cache
/// holds no references: a mappable leaves it when its last reference goes. Thread-safe; its lock is
/// taken under no other and holds none.
/// </remarks>
public sealed class HostFileCache
{
    private readonly Lock _lock = new();

    // Guarded by _lock.
    private readonly Dictionary<Key, HostFileMappable> _files = [];
    // The latest of them for each file, whatever its name (what Find answers).
    private readonly Dictionary<(ulong Device, ulong Inode), HostFileMappable> _byInode = [];

    private readonly record struct Key(ulong Device, ulong Inode, string Path);

    private readonly IMemory _memory;

    /// <summary>Makes an empty cache whose files' pages live in <paramref name="memory"/>.</summary>
    public HostFileCache(IMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <summary>
    /// The mappable of the open host file <paramref name="fd"/>, holding one reference for the caller:
    /// the shared one if the file is unchanged since it was wrapped, else a new one. Owns
    /// <paramref name="fd"/> from now on (kept by a shared mappable if it adds access, else disposed).
    /// </summary>
    /// <returns>The mappable, or fstat's errno (<paramref name="fd"/> is then still the caller's).</returns>
    public (HostFileMappable? Mappable, Error? Error) Get(SafeFileHandle fd, string path, bool readable, bool writable)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(path);
        (FileIdentity identity, FileVersion version, Errno? error) = Libc.FstatVersion(fd);
        if (error is not null)
        {
            return (null, error);
        }
        var key = new Key(identity.Device, identity.Inode, path);
        HostFileMappable? shared;
        lock (_lock)
        {
            if (!(_files.TryGetValue(key, out shared) && shared.Version == version && shared.TryIncRef()))
            {
                shared = null;
            }
        }
        if (shared is not null)
        {
            shared.Admit(fd, readable, writable);
            return (shared, null);
        }
        (HostFileMappable? created, Error? createError) = HostFileMappable.Create(fd, path, _memory, readable, writable);
        if (createError is not null)
        {
            return (null, createError);
        }
        created!.Cache = this;
        lock (_lock)
        {
            // Two opens racing: the later one is kept, the earlier one lives on for its own mappings.
            _files[key] = created;
            _byInode[(key.Device, key.Inode)] = created;
        }
        return (created, null);
    }

    /// <summary>
    /// The live mappable of the file <paramref name="device"/>:<paramref name="inode"/>, with a
    /// reference for the caller, or <see langword="null"/> when no open of it has been mapped: what
    /// a read(2) or write(2) made to the host file directly keeps coherent with the mappings.
    /// </summary>
    public HostFileMappable? Find(ulong device, ulong inode)
    {
        lock (_lock)
        {
            return _byInode.TryGetValue((device, inode), out HostFileMappable? live) && live.TryIncRef() ? live : null;
        }
    }

    /// <summary>How many files the cache holds (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _files.Count;
            }
        }
    }

    internal void Forget(HostFileMappable mappable)
    {
        var key = new Key(mappable.DeviceID, mappable.InodeID, mappable.Path);
        lock (_lock)
        {
            if (_files.TryGetValue(key, out HostFileMappable? current) && ReferenceEquals(current, mappable))
            {
                _files.Remove(key);
            }
            if (_byInode.TryGetValue((key.Device, key.Inode), out current) && ReferenceEquals(current, mappable))
            {
                _byInode.Remove((key.Device, key.Inode));
            }
        }
    }
}
