using Warden.Errors;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Checks the invariants every <c>...Locked</c> method relies on (gVisor's <c>checkInvariants</c>),
    /// and throws <see cref="InvalidOperationException"/> naming the first that is broken. For tests
    /// and diagnostics: it walks every vma and pma.
    /// </summary>
    /// <remarks>Takes the mapping lock for reading and the active lock for reading.</remarks>
    internal void CheckInvariants()
    {
        _mappingLock.EnterReadLock();
        try
        {
            _activeLock.EnterReadLock();
            try
            {
                CheckInvariantsLocked();
            }
            finally
            {
                _activeLock.ExitReadLock();
            }
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    // Whether this thread holds the mapping lock in any mode, for the assertions of ...Locked methods.
    private bool MappingLockHeld =>
        _mappingLock.IsReadLockHeld || _mappingLock.IsUpgradeableReadLockHeld || _mappingLock.IsWriteLockHeld;

    // Mapping lock and active lock held (either mode).
    private void CheckInvariantsLocked()
    {
        _vmas.CheckInvariants(requireMerged: false);
        _pmas.CheckInvariants(requireMerged: false);

        ulong usage = 0, data = 0, locked = 0;
        foreach (var segment in _vmas)
        {
            Vma vma = segment.Value;
            usage += segment.Length;
            data += vma.IsData ? segment.Length : 0;
            locked += vma.MLockMode != MemMap.MLockMode.None ? segment.Length : 0;
            if (!vma.MaxPerms.SupersetOf(vma.RealPerms))
            {
                Fail("a vma's permissions exceed its maximum", segment.Range);
            }
        }
        Expect(usage == _usageAS, "the address-space usage is the vmas' total length", usage, _usageAS);
        Expect(data == _dataAS, "the data usage is the data vmas' total length", data, _dataAS);
        Expect(locked == _lockedAS, "the locked usage is the locked vmas' total length", locked, _lockedAS);

        ulong rss = 0;
        foreach (var segment in _pmas)
        {
            Pma pma = segment.Value;
            rss += segment.Length;
            if (_vmas.SpanRange(segment.Range) != segment.Length)
            {
                Fail("a pma lies outside every vma", segment.Range);
            }
            if (!pma.MaxPerms.SupersetOf(pma.EffectivePerms))
            {
                Fail("a pma's permissions exceed its maximum", segment.Range);
            }
            if (pma.PinCount < 0 || (pma.PinCount > 0 && pma.Private && pma.NeedCOW))
            {
                Fail("a pinned private pma is copy-on-write", segment.Range);
            }
            if ((pma.ZeroPage || pma.LazyFree) && !(pma.Private && pma.NeedCOW))
            {
                Fail("a zero-page or lazily freed pma can be written without a fault", segment.Range);
            }
        }
        Expect(rss == _curRSS, "the resident set is the pmas' total length", rss, _curRSS);
        Expect(_curRSS <= _maxRSS, "the resident set is at most its high-water mark", _curRSS, _maxRSS);
    }

    private static void Expect(bool holds, string invariant, ulong computed, ulong recorded)
    {
        if (!holds)
        {
            ThrowHelper.ThrowInvalidOperation("MemoryManager invariant violated: {0} (computed 0x{1:x}, recorded 0x{2:x}).", invariant, computed, recorded);
        }
    }

    private static void Fail(string invariant, HostArch.AddrRange where) =>
        ThrowHelper.ThrowInvalidOperation("MemoryManager invariant violated: {0}, at {1}.", invariant, where);
}
