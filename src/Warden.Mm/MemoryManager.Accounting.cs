namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>The bytes mapped (VmSize).</summary>
    public ulong VirtualMemorySize => ReadUnderMappingLock(static mm => mm._usageAS);

    /// <summary>The bytes of private writable non-stack mappings (VmData).</summary>
    public ulong VirtualDataSize => ReadUnderMappingLock(static mm => mm._dataAS);

    /// <summary>The bytes locked by mlock and friends (VmLck), with what Linux leaves counted after MREMAP_DONTUNMAP.</summary>
    public ulong LockedSize => ReadUnderMappingLock(static mm => mm._lockedAS + mm._lockedLeftCharged);

    /// <summary>The bytes with memory behind them (VmRSS).</summary>
    public ulong ResidentSetSize => ReadUnderActiveLock(static mm => mm._curRSS);

    /// <summary>The largest <see cref="ResidentSetSize"/> seen (VmHWM).</summary>
    public ulong MaxResidentSetSize => ReadUnderActiveLock(static mm => mm._maxRSS);

    /// <summary>Pages given their own memory by a write to copy-on-write memory (taken over or copied), since creation.</summary>
    public long CopyOnWriteBreaks => Interlocked.Read(ref _copyOnWriteBreaks);

    /// <summary>The number of vmas (as counted against the map-count limit).</summary>
    public int MapCount => ReadUnderMappingLock(static mm => mm._vmas.Count);

    private T ReadUnderMappingLock<T>(Func<MemoryManager, T> read)
    {
        _mappingLock.EnterReadLock();
        try
        {
            return read(this);
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    private T ReadUnderActiveLock<T>(Func<MemoryManager, T> read)
    {
        _activeLock.EnterReadLock();
        try
        {
            return read(this);
        }
        finally
        {
            _activeLock.ExitReadLock();
        }
    }
}
