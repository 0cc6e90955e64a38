using System.Diagnostics;
using System.Text;
using Warden.Contexts;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // Linux pads a maps line to this many characters before the name.
    private const int MapsNameColumn = 73;

    /// <summary>The text of <c>/proc/[pid]/maps</c> for this address space, in Linux's exact format.</summary>
    public string MapsText(IContext ctx)
    {
        var text = new StringBuilder();
        _mappingLock.EnterReadLock();
        try
        {
            foreach (var segment in _vmas)
            {
                AppendMapsLineLocked(ctx, text, segment.Start, segment.End, segment.Value);
            }
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
        return text.ToString();
    }

    /// <summary>The text of <c>/proc/[pid]/smaps</c>: each maps line followed by its memory figures, as this kernel prints them.</summary>
    public string SmapsText(IContext ctx)
    {
        var text = new StringBuilder();
        _mappingLock.EnterReadLock();
        try
        {
            _activeLock.EnterReadLock();
            try
            {
                foreach (var segment in _vmas)
                {
                    Vma vma = segment.Value;
                    AppendMapsLineLocked(ctx, text, segment.Start, segment.End, vma);
                    ulong rss = _pmas.SpanRange(segment.Range);
                    ulong size = segment.Length;
                    bool anonymous = vma.Private;
                    ulong locked = vma.MLockMode != MLockMode.None ? rss : 0;
                    AppendKb(text, "Size:", size);
                    AppendKb(text, "KernelPageSize:", Arch.PageSize);
                    AppendKb(text, "MMUPageSize:", Arch.PageSize);
                    AppendKb(text, "Rss:", rss);
                    AppendKb(text, "Pss:", rss);
                    AppendKb(text, "Pss_Dirty:", rss);
                    AppendKb(text, "Shared_Clean:", 0);
                    AppendKb(text, "Shared_Dirty:", anonymous ? 0 : rss);
                    AppendKb(text, "Private_Clean:", 0);
                    AppendKb(text, "Private_Dirty:", anonymous ? rss : 0);
                    AppendKb(text, "Referenced:", rss);
                    AppendKb(text, "Anonymous:", anonymous ? rss : 0);
                    AppendKb(text, "KSM:", 0);
                    AppendKb(text, "LazyFree:", 0);
                    AppendKb(text, "AnonHugePages:", 0);
                    AppendKb(text, "ShmemPmdMapped:", 0);
                    AppendKb(text, "FilePmdMapped:", 0);
                    AppendKb(text, "Shared_Hugetlb:", 0);
                    AppendKb(text, "Private_Hugetlb:", 0);
                    AppendKb(text, "Swap:", 0);
                    AppendKb(text, "SwapPss:", 0);
                    AppendKb(text, "Locked:", locked);
                    text.Append("THPeligible:").Append(' ', 4).Append("0".PadLeft(8)).Append('\n');
                    text.Append("VmFlags: ").Append(VmFlags(vma)).Append('\n');
                }
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
        return text.ToString();
    }

    private static void AppendKb(StringBuilder text, string label, ulong bytes) =>
        text.Append(label.PadRight(16)).Append((bytes / 1024).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(8)).Append(" kB\n");

    // The two-letter flags of smaps' VmFlags line, in Linux's order (by flag bit).
    private static string VmFlags(in Vma vma)
    {
        var flags = new StringBuilder();
        void Add(bool on, string name)
        {
            if (on)
            {
                flags.Append(name).Append(' ');
            }
        }
        Add(vma.RealPerms.Read, "rd");
        Add(vma.RealPerms.Write, "wr");
        Add(vma.RealPerms.Execute, "ex");
        Add(!vma.Private, "sh");
        Add(vma.MaxPerms.Read, "mr");
        Add(vma.MaxPerms.Write, "mw");
        Add(vma.MaxPerms.Execute, "me");
        Add(!vma.Private, "ms");
        Add(vma.GrowsDown, "gd");
        Add(vma.MLockMode != MLockMode.None, "lo");
        Add((vma.Hints & VmaHints.SequentialRead) != 0, "sr");
        Add((vma.Hints & VmaHints.RandomRead) != 0, "rr");
        Add(vma.DontFork, "dc");
        Add(vma.MLockMode == MLockMode.Lazy, "lf");
        Add(vma.Accounted, "ac");
        Add((vma.Hints & VmaHints.NoReserve) != 0, "nr");
        Add((vma.Hints & VmaHints.Sync) != 0, "sf");
        Add(vma.WipeOnFork, "wf");
        Add((vma.Hints & VmaHints.DontDump) != 0, "dd");
        Add((vma.Hints & VmaHints.HugePage) != 0, "hg");
        Add((vma.Hints & VmaHints.NoHugePage) != 0, "nh");
        Add((vma.Hints & VmaHints.Mergeable) != 0, "mg");
        Add((vma.Hints & VmaHints.Droppable) != 0, "dp");
        return flags.ToString();
    }

    // One line of /proc/[pid]/maps. Mapping lock held.
    private void AppendMapsLineLocked(IContext ctx, StringBuilder text, ulong start, ulong end, in Vma vma)
    {
        Debug.Assert(MappingLockHeld, "The mapping lock must be held.");
        int lineStart = text.Length;
        text.Append(start.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append('-')
            .Append(end.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append(' ')
            .Append(vma.RealPerms.Read ? 'r' : '-')
            .Append(vma.RealPerms.Write ? 'w' : '-')
            .Append(vma.RealPerms.Execute ? 'x' : '-')
            .Append(vma.Private ? 'p' : 's').Append(' ');
        ulong offset = vma.Id is not null ? vma.Offset : 0;
        ulong device = vma.Id?.DeviceID ?? 0;
        ulong inode = vma.Id?.InodeID ?? 0;
        text.Append(offset.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append(' ')
            .Append(((device >> 8) & 0xfff).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append(':')
            .Append((device & 0xff).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)).Append(' ')
            .Append(inode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
        string? name = MapsName(ctx, start, end, vma);
        if (name is not null)
        {
            int width = text.Length - lineStart;
            if (width < MapsNameColumn)
            {
                text.Append(' ', MapsNameColumn - width);
            }
            text.Append(name);
        }
        text.Append('\n');
    }

    // The name column: the file, [heap], [stack], or [anon:name] / [anon_shmem:name].
    private string? MapsName(IContext ctx, ulong start, ulong end, in Vma vma)
    {
        if (vma.Name is not null)
        {
            return vma.Private ? $"[anon:{vma.Name}]" : $"[anon_shmem:{vma.Name}]";
        }
        if (vma.Id is not null)
        {
            return vma.Id.MappedName(ctx);
        }
        if (vma.IsStack)
        {
            return "[stack]";
        }
        // Linux names the heap every anonymous vma starting below the break and ending above the
        // heap's start (vma_is_initial_heap).
        bool heap = start < _brk && end > _brkStart && vma.IsPrivateAnonymous;
        return heap ? "[heap]" : null;
    }
}
