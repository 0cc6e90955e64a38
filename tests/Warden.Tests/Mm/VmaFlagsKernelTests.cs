using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// The vma flags Linux keeps per mapping (smaps' VmFlags), and the splits they cause: each kind of
/// mapping (private and shared, anonymous and file, MAP_STACK, MAP_DROPPABLE) gets each advice and
/// each kind of lock on its middle page, on this machine's kernel (a C program the test builds) and
/// on Warden; the errno, the vmas the three pages become and their flags must be the same.
/// </summary>
public sealed class VmaFlagsKernelTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private const int MadvCollapse = 25;
    private const int OpMlock = -1, OpMlock2OnFault = -2, OpMunlock = -3;

    private static readonly (string Name, int Flags)[] s_kinds =
    [
        ("private-anon", MAP_PRIVATE | MAP_ANONYMOUS),
        ("shared-anon", MAP_SHARED | MAP_ANONYMOUS),
        ("private-file", MAP_PRIVATE),
        ("shared-file", MAP_SHARED),
        ("stack", MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK),
        ("droppable", MAP_DROPPABLE | MAP_ANONYMOUS),
    ];

    private static readonly (string Name, int Value)[] s_ops =
    [
        ("NORMAL", MADV_NORMAL), ("RANDOM", MADV_RANDOM), ("SEQUENTIAL", MADV_SEQUENTIAL), ("WILLNEED", MADV_WILLNEED),
        ("DONTNEED", MADV_DONTNEED), ("FREE", MADV_FREE), ("REMOVE", MADV_REMOVE), ("DONTFORK", MADV_DONTFORK),
        ("DOFORK", MADV_DOFORK), ("MERGEABLE", MADV_MERGEABLE), ("UNMERGEABLE", MADV_UNMERGEABLE),
        ("HUGEPAGE", MADV_HUGEPAGE), ("NOHUGEPAGE", MADV_NOHUGEPAGE), ("DONTDUMP", MADV_DONTDUMP), ("DODUMP", MADV_DODUMP),
        ("WIPEONFORK", MADV_WIPEONFORK), ("KEEPONFORK", MADV_KEEPONFORK), ("COLD", MADV_COLD), ("PAGEOUT", MADV_PAGEOUT),
        ("POPULATE_READ", MADV_POPULATE_READ), ("POPULATE_WRITE", MADV_POPULATE_WRITE), ("COLLAPSE", MadvCollapse),
        ("mlock", OpMlock), ("mlock2-onfault", OpMlock2OnFault), ("munlock-after-mlock", OpMunlock),
    ];

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"warden-vmaflags-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    // Each case maps its kind at the middle three pages of a five-page PROT_NONE reservation (so
    // nothing merges with a neighbour), writes the first page, applies the op to the middle page
    // and prints "kind op<TAB>errno then the vmas as offset ranges with their VmFlags".
    private string Program()
    {
        var cases = new StringBuilder();
        foreach ((string kind, int flags) in s_kinds)
        {
            foreach ((string op, int value) in s_ops)
            {
                cases.Append(CultureInfo.InvariantCulture, $"    run(\"{kind} {op}\", {flags}, {value});\n");
            }
        }
        return $$"""
            #define _GNU_SOURCE 1
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <unistd.h>
            static int fd;
            static void run(const char *name, int flags, int op) {
                char *reserve = mmap(NULL, 5 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                char *p = mmap(reserve + 4096, 3 * 4096, PROT_READ | PROT_WRITE, flags | MAP_FIXED, (flags & MAP_ANONYMOUS) ? -1 : fd, 0);
                if (p == MAP_FAILED) { printf("%s\tmap failed %d\n", name, errno); return; }
                p[0] = 1;
                errno = 0;
                int r = op == -1 ? mlock(p + 4096, 4096) : op == -2 ? mlock2(p + 4096, 4096, MLOCK_ONFAULT)
                    : op == -3 ? (mlock(p + 4096, 4096), munlock(p + 4096, 4096)) : madvise(p + 4096, 4096, op);
                printf("%s\t%d", name, r == 0 ? 0 : errno);
                FILE *smaps = fopen("/proc/self/smaps", "r");
                char line[512];
                unsigned long start, end;
                int in = 0;
                while (fgets(line, sizeof line, smaps)) {
                    if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
                        in = start >= (unsigned long)p && start < (unsigned long)p + 3 * 4096;
                        if (in) printf(" %lx-%lx", start - (unsigned long)p, end - (unsigned long)p);
                    } else if (in && strncmp(line, "VmFlags: ", 9) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        printf(" [%s]", line + 9);
                    }
                }
                fclose(smaps);
                printf("\n");
                munmap(reserve, 5 * 4096);
            }
            int main(void) {
                fd = open({{CHeaderProbe.Literal(_path)}}, O_RDWR);
                if (fd < 0) return 2;
            {{cases}}
                return 0;
            }
            """;
    }

    private Dictionary<string, string> Warden()
    {
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new MemoryManagerOptions { CanLockMemory = true };
        foreach ((string kind, int flags) in s_kinds)
        {
            foreach ((string op, int value) in s_ops)
            {
                using var f = new MmFixture(options);
                HostFileMappable? file = null;
                if ((flags & MAP_ANONYMOUS) == 0)
                {
                    var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
                    (file, Error? openError) = HostFileMappable.Create(handle, _path, f.File, readable: true, writable: true);
                    Assert.Null(openError);
                }
                ulong reserve = f.Map(5 * Page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
                (ulong p, Error? mapError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, reserve + Page, 3 * Page, PROT_READ | PROT_WRITE, (ulong)(flags | MAP_FIXED), file);
                file?.DecRef(f.Ctx);
                Assert.Null(mapError);
                f.Write(p, [1]);
                ulong middle = p + Page;
                Error? error = value switch
                {
                    OpMlock => MemorySyscalls.Mlock(f.Ctx, f.Mm, middle, Page),
                    OpMlock2OnFault => MemorySyscalls.Mlock(f.Ctx, f.Mm, middle, Page, MLOCK_ONFAULT),
                    OpMunlock => MemorySyscalls.Mlock(f.Ctx, f.Mm, middle, Page) ?? MemorySyscalls.Munlock(f.Ctx, f.Mm, middle, Page),
                    _ => MemorySyscalls.Madvise(f.Ctx, f.Mm, middle, Page, value),
                };
                answers[$"{kind} {op}"] = (error is null ? "0" : ((Errno)error).Number.ToString(CultureInfo.InvariantCulture)) + Vmas(f.Mm.SmapsText(f.Ctx), p);
            }
        }
        return answers;
    }

    // The vmas starting in [p, p + 3 pages) as " start-end [flags]" with offsets from p, as the C program prints them.
    private static string Vmas(string smaps, ulong p)
    {
        var text = new StringBuilder();
        bool inRange = false;
        foreach (string line in smaps.Split('\n'))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start))
            {
                ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                inRange = start >= p && start < p + (3 * Page);
                if (inRange)
                {
                    text.Append(CultureInfo.InvariantCulture, $" {start - p:x}-{end - p:x}");
                }
            }
            else if (inRange && line.StartsWith("VmFlags: ", StringComparison.Ordinal))
            {
                text.Append(" [").Append(line.AsSpan(9)).Append(']');
            }
        }
        return text.ToString();
    }

    [SkippableFact]
    public void EveryKindAndOp_GivesTheKernelsErrnoVmasAndFlags()
    {
        File.WriteAllBytes(_path, new byte[3 * Page]);
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(Program());
        Dictionary<string, string> warden = Warden();

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value != warden[k.Key]).Select(k => $"{k.Key}:\n  kernel {k.Value}\n  warden {warden[k.Key]}").ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {kernel.Count} cases differ:\n" + string.Join("\n", differences));
    }
}
