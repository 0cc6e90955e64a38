using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.UserMem;
using static Warden.HostArch.LinuxMman;

namespace Warden.Kernel.Loader;

/// <summary>Where an ELF image ended up: what the initial stack and the brk need to know.</summary>
/// <param name="Entry">The entry point, load bias applied.</param>
/// <param name="PhdrAddress">The program headers' address in memory (AT_PHDR).</param>
/// <param name="BrkStart">The page after the highest segment's end.</param>
/// <param name="LoadBias">What was added to every p_vaddr (0 for ET_EXEC).</param>
internal readonly record struct MappedElf(ulong Entry, ulong PhdrAddress, ulong BrkStart, ulong LoadBias);

/// <summary>
/// Maps an <see cref="ElfImage"/>'s PT_LOAD segments into a memory manager as Linux's
/// load_elf_binary and elf_load do: each segment's file pages privately at its address (the load
/// bias added), the rest of its last file page zeroed, and the pages beyond as anonymous memory.
/// </summary>
internal static class ElfMapper
{

    /// <summary>x86-64 Linux's ELF_ET_DYN_BASE: two thirds of the 47-bit address space, page aligned.</summary>
    public const ulong EtDynBase = (Arch.TaskSize / 3 * 2) & ~Arch.PageMask;

    /// <summary>The bits of page-granular randomisation added to <see cref="EtDynBase"/> (x86-64's mmap_rnd_bits).</summary>
    public const int RandomBits = 28;

    private static readonly IOOpts s_force = new() { IgnorePermissions = true };

    /// <summary>
    /// Maps the segments of <paramref name="image"/> from <paramref name="file"/>; an ET_DYN image
    /// (static PIE) goes at <see cref="EtDynBase"/> plus a random page count from <paramref name="random"/>,
    /// aligned to its largest power-of-two p_align.
    /// </summary>
    /// <remarks>
    /// Segments are mapped in order and checked after each is mapped, as Linux does (past its point of
    /// no return), so the errno is Linux's: mmap's (EINVAL when p_offset and p_vaddr differ modulo
    /// the page size, ENOMEM outside the address space, EPERM below mmap_min_addr, EEXIST over another
    /// mapping), then EINVAL for a p_vaddr at or past TASK_SIZE, p_filesz &gt; p_memsz or a segment
    /// ending past TASK_SIZE, and EINVAL for an entry point past TASK_SIZE.
    /// <b>Postcondition on failure:</b> some segments may be mapped; the caller discards the address
    /// space (Linux kills the process at this stage).
    /// </remarks>
    public static (MappedElf Mapped, Error? Error) Map(IContext ctx, MemoryManager mm, ElfImage image, HostFileMappable file, Random random)
    {
        ElfHeader header = image.Header;
        ElfProgramHeader[] phdrs = image.ProgramHeaders;
        ulong loadBias = 0;
        ulong phdrAddress = 0;
        ulong highest = 0;
        bool first = true;
        foreach (ElfProgramHeader ph in phdrs)
        {
            if (ph.Type != Elf64.PT_LOAD)
            {
                continue;
            }
            int flags = MAP_PRIVATE;
            ulong totalSize = 0;
            if (!first)
            {
                flags |= MAP_FIXED;
            }
            else if (header.Type == Elf64.ET_EXEC)
            {
                flags |= MAP_FIXED_NOREPLACE;
            }
            else
            {
                ulong alignment = MaximumAlignment(phdrs);
                loadBias = EtDynBase + ((ulong)random.NextInt64(1L << RandomBits) << Arch.PageShift);
                if (alignment != 0)
                {
                    loadBias &= ~(alignment - 1);
                }
                flags |= MAP_FIXED_NOREPLACE;
                // Later arithmetic adds p_vaddr back, so the bias is taken relative to the first one.
                loadBias = Arch.PageRoundDown(loadBias - ph.Vaddr);
                totalSize = TotalMappingSize(phdrs);
                if (totalSize == 0)
                {
                    return (default, Errno.EINVAL);
                }
            }

            (ulong mapped, Error? error) = LoadSegment(ctx, mm, file, loadBias + ph.Vaddr, ph, flags, totalSize);
            if (error is not null)
            {
                return (default, error);
            }
            if (first)
            {
                first = false;
                if (header.Type == Elf64.ET_DYN)
                {
                    loadBias += mapped - Arch.PageRoundDown(loadBias + ph.Vaddr);
                }
            }

            if (ph.Offset <= header.PhOff && header.PhOff < ph.Offset + ph.Filesz)
            {
                phdrAddress = header.PhOff - ph.Offset + ph.Vaddr;
            }
            if (ph.Vaddr >= Arch.TaskSize || ph.Filesz > ph.Memsz || ph.Memsz > Arch.TaskSize || Arch.TaskSize - ph.Memsz < ph.Vaddr)
            {
                return (default, new KernelError(Errno.EINVAL,
                    $"segment at 0x{ph.Vaddr:x} (0x{ph.Filesz:x} bytes from the file, 0x{ph.Memsz:x} in memory) does not fit below 0x{Arch.TaskSize:x}"));
            }
            highest = Math.Max(highest, ph.Vaddr + ph.Memsz);
        }

        ulong entry = header.Entry + loadBias;
        (ulong brk, bool ok) = Arch.PageRoundUp(highest + loadBias);
        if (entry >= Arch.TaskSize || !ok)
        {
            return (default, new KernelError(Errno.EINVAL, $"the entry point 0x{entry:x} lies past 0x{Arch.TaskSize:x}"));
        }
        return (new MappedElf(entry, phdrAddress + loadBias, brk, loadBias), null);
    }

    // Linux's elf_load: the file part, the zeroed tail of its last page, then the anonymous rest.
    // Returns the address the segment's first page went to.
    private static (ulong Address, Error? Error) LoadSegment(IContext ctx, MemoryManager mm, HostFileMappable file, ulong addr, ElfProgramHeader ph, int flags, ulong totalSize)
    {
        int prot = ph.Prot;
        ulong pageOffset = ph.Vaddr & Arch.PageMask;
        ulong mapped;
        ulong zeroStart;
        ulong zeroEnd;
        if (ph.Filesz > 0)
        {
            (mapped, Error? error) = MapFilePart(ctx, mm, file, addr, ph, prot, flags, totalSize);
            if (error is not null)
            {
                return (0, error);
            }
            zeroStart = mapped + pageOffset + ph.Filesz;
            zeroEnd = mapped + pageOffset + ph.Memsz;
            // The rest of the last file page would show the file's next bytes: clear it where the
            // program can write it or expects zeros there (the bss). Linux's padzero writes with the
            // program's permissions, so in a read-only segment with a bss its clear fails silently
            // and the file's bytes stay; here the bss reads as zero in every segment.
            if (ph.Memsz > ph.Filesz || (prot & PROT_WRITE) != 0)
            {
                (ulong tailEnd, bool ok) = Arch.PageRoundUp(zeroStart);
                if (ok && tailEnd > zeroStart)
                {
                    (_, Error? zeroError) = mm.ZeroOut(ctx, (Addr)zeroStart, (long)(tailEnd - zeroStart), s_force);
                    if (zeroError is not null)
                    {
                        return (0, Errno.EFAULT);
                    }
                }
            }
        }
        else
        {
            mapped = zeroStart = Arch.PageRoundDown(addr);
            zeroEnd = zeroStart + pageOffset + ph.Memsz;
        }

        if (ph.Memsz > ph.Filesz)
        {
            // Linux maps these pages as brk memory: read/write, and executable if the segment is.
            (ulong start, bool startOk) = Arch.PageRoundUp(zeroStart);
            (ulong end, bool endOk) = Arch.PageRoundUp(zeroEnd);
            if (!startOk || !endOk || end < start || zeroEnd < zeroStart)
            {
                return (0, Errno.ENOMEM);
            }
            if (end > start)
            {
                int anonProt = PROT_READ | PROT_WRITE | (prot & PROT_EXEC);
                (_, Error? error) = MemorySyscalls.Mmap(ctx, mm, start, end - start, (ulong)anonProt, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
                if (error is not null)
                {
                    return (0, error);
                }
            }
        }
        return (mapped, null);
    }

    // Linux's elf_map: the segment's file pages at `addr`'s page; with a total size (the first
    // segment of an ET_DYN image), the whole image's span is claimed first and all but the first
    // segment's pages released again, so that later segments land on a free range.
    private static (ulong Address, Error? Error) MapFilePart(IContext ctx, MemoryManager mm, HostFileMappable file, ulong addr, ElfProgramHeader ph, int prot, int flags, ulong totalSize)
    {
        ulong pageOffset = ph.Vaddr & Arch.PageMask;
        ulong start = Arch.PageRoundDown(addr);
        (ulong size, bool ok) = Arch.PageRoundUp(ph.Filesz + pageOffset);
        if (!ok || ph.Filesz + pageOffset < ph.Filesz)
        {
            return (0, Errno.ENOMEM);
        }
        ulong offset = ph.Offset - pageOffset;
        ulong length = size;
        if (totalSize != 0)
        {
            (ulong total, bool totalOk) = Arch.PageRoundUp(totalSize);
            if (!totalOk)
            {
                return (0, Errno.ENOMEM);
            }
            length = Math.Max(total, size);
        }
        (ulong mapped, Error? error) = MemorySyscalls.Mmap(ctx, mm, start, length, (ulong)prot, (ulong)flags, file, offset);
        if (error is not null)
        {
            return (0, error);
        }
        if (length > size)
        {
            Error? unmapError = MemorySyscalls.Munmap(ctx, mm, mapped + size, length - size);
            if (unmapError is not null)
            {
                return (0, unmapError);
            }
        }
        return (mapped, null);
    }

    // Linux's maximum_alignment: the largest power-of-two p_align of the PT_LOADs, at least a page.
    private static ulong MaximumAlignment(ElfProgramHeader[] phdrs)
    {
        ulong alignment = 0;
        foreach (ElfProgramHeader ph in phdrs)
        {
            if (ph.Type == Elf64.PT_LOAD && ph.Align != 0 && (ph.Align & (ph.Align - 1)) == 0)
            {
                alignment = Math.Max(alignment, ph.Align);
            }
        }
        (ulong rounded, bool ok) = Arch.PageRoundUp(alignment);
        return ok ? rounded : alignment;
    }

    // Linux's total_mapping_size: from the lowest PT_LOAD's page to the highest end.
    private static ulong TotalMappingSize(ElfProgramHeader[] phdrs)
    {
        ulong min = ulong.MaxValue;
        ulong max = 0;
        bool any = false;
        foreach (ElfProgramHeader ph in phdrs)
        {
            if (ph.Type == Elf64.PT_LOAD)
            {
                min = Math.Min(min, Arch.PageRoundDown(ph.Vaddr));
                max = Math.Max(max, ph.Vaddr + ph.Memsz);
                any = true;
            }
        }
        return any ? max - min : 0;
    }
}
