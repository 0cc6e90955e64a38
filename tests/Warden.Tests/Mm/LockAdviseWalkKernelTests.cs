using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.Mm;
using Warden.HostArch;
using Warden.Tests.Infrastructure;
using Xunit;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm;

/// <summary>
/// mlock/munlock/mlockall, madvise, msync and mremap over ranges with holes, inaccessible vmas and
/// file pages past the end of the file (issue 12): each scenario is run by a C program on this
/// machine's kernel and on Warden, in a free 16-page area; the errnos, the vmas of the area with
/// their VmFlags and the residency (mincore) of the pages the scenario names must be the same.
/// </summary>
public sealed class LockAdviseWalkKernelTests : IDisposable
{
    private const ulong Page = MmFixture.Page;
    private const int Pages = 16;
    private const int Rw = PROT_READ | PROT_WRITE;
    private const int Anon = MAP_PRIVATE | MAP_ANONYMOUS;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"warden-lockwalk-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    /// <summary>One step: a mapping at a page of the area (File: of the 3.5-page file), an unmapping, a write, or a call whose errno is kept.</summary>
    private abstract record Step;

    private sealed record Map(int At, int Count, int Prot, int Flags, bool File = false) : Step;

    private sealed record Unmap(int At, int Count) : Step;

    /// <summary>A call: Op is "mlock", "mlock2", "munlock", "madvise", "msync", "mlockall", "mremap"; addresses are byte offsets in the area.</summary>
    private sealed record Call(string Op, ulong Offset, ulong Length, long Arg = 0) : Step;

    // Name, steps, and the pages whose residency is compared ('x').
    private static readonly (string Name, Step[] Steps, string Compare)[] s_scenarios =
    [
        ("mlock_up_to_a_hole", [new Map(0, 3, Rw, Anon), new Map(4, 2, Rw, Anon), new Call("mlock", Page, 5 * Page)], "xxxxxx"),
        ("munlock_up_to_a_hole", [new Map(0, 3, Rw, Anon), new Map(4, 2, Rw, Anon), new Call("mlock", 0, 3 * Page), new Call("munlock", Page, 5 * Page)], ""),
        ("mlock2_onfault_over_two_vmas_to_a_hole", [new Map(0, 2, Rw, Anon), new Map(2, 1, PROT_READ, Anon), new Map(4, 1, Rw, Anon), new Call("mlock2", Page, 4 * Page, MLOCK_ONFAULT)], "xxx.x"),
        ("mlock_starting_in_a_hole", [new Map(1, 2, Rw, Anon), new Call("mlock", 0, 3 * Page)], ".xx"),
        ("mlock_of_a_length_that_wraps_to_one_page", [new Map(0, 2, Rw, Anon), new Call("mlock", 0x1ff, unchecked((ulong)-0x100))], ""),
        ("munlock_of_a_length_that_wraps_to_one_page", [new Map(0, 2, Rw, Anon), new Call("mlock", 0, 2 * Page), new Call("munlock", 0x6b3, 0xffffffffffffff58)], ""),
        ("mlock_past_the_end_of_a_shared_file", [new Map(0, 6, PROT_READ, MAP_SHARED, File: true), new Map(6, 2, Rw, Anon), new Call("mlock", 0, 8 * Page)], "------xx"),
        ("mlock_past_the_end_of_a_private_file", [new Map(0, 6, Rw, MAP_PRIVATE, File: true), new Map(6, 2, Rw, Anon), new Call("mlock", 2 * Page, 6 * Page)], "------xx"),
        ("mlock_over_prot_none_then_memory", [new Map(0, 1, PROT_NONE, Anon), new Map(1, 2, Rw, Anon), new Call("mlock", 0, 3 * Page)], "xxx"),
        ("madvise_hugepage_up_to_a_hole", [new Map(0, 3, Rw, Anon), new Map(4, 2, Rw, Anon), new Call("madvise", Page, 6 * Page, MADV_HUGEPAGE)], ""),
        ("madvise_random_up_to_a_hole", [new Map(0, 3, PROT_READ, MAP_PRIVATE, File: true), new Map(4, 2, Rw, Anon), new Call("madvise", 2 * Page, 3 * Page, MADV_RANDOM)], ""),
        ("madvise_dontfork_and_dontdump_up_to_a_hole", [new Map(0, 3, Rw, Anon), new Map(4, 2, Rw, MAP_SHARED | MAP_ANONYMOUS), new Call("madvise", Page, 6 * Page, MADV_DONTFORK), new Call("madvise", 0, 5 * Page, MADV_DONTDUMP)], ""),
        ("madvise_wipeonfork_shared_before_a_hole", [new Map(0, 1, Rw, Anon), new Map(1, 1, Rw, MAP_SHARED | MAP_ANONYMOUS), new Call("madvise", 0, 4 * Page, MADV_WIPEONFORK)], ""),
        ("madvise_free_on_a_locked_vma", [new Map(0, 2, Rw, Anon), new Call("mlock", 0, 2 * Page), new Call("madvise", 0, Page, MADV_FREE)], ""),
        ("madvise_free_locked_before_a_hole", [new Map(0, 1, Rw, Anon), new Call("mlock", 0, Page), new Call("madvise", 0, 4 * Page, MADV_FREE)], ""),
        ("madvise_dontneed_locked_before_a_hole", [new Map(0, 1, Rw, Anon), new Call("mlock", 0, Page), new Call("madvise", 0, 4 * Page, MADV_DONTNEED)], ""),
        ("populate_write_over_a_hole", [new Map(0, 2, Rw, Anon), new Map(3, 2, Rw, Anon), new Call("madvise", 0, 5 * Page, MADV_POPULATE_WRITE)], "xx.xx"),
        ("populate_read_over_a_hole_then_prot_none", [new Map(0, 1, Rw, Anon), new Map(2, 1, PROT_NONE, Anon), new Map(3, 1, Rw, Anon), new Call("madvise", 0, 4 * Page, MADV_POPULATE_READ)], "x.xx"),
        ("populate_read_over_prot_none_then_a_hole", [new Map(0, 1, Rw, Anon), new Map(1, 1, PROT_NONE, Anon), new Map(3, 1, Rw, Anon), new Call("madvise", 0, 4 * Page, MADV_POPULATE_READ)], "xx.x"),
        ("populate_past_the_end_of_a_file", [new Map(0, 6, PROT_READ, MAP_SHARED, File: true), new Map(6, 2, Rw, Anon), new Call("madvise", 0, 8 * Page, MADV_POPULATE_READ)], "------xx"),
        ("populate_write_past_the_end_of_a_private_file", [new Map(0, 6, Rw, MAP_PRIVATE, File: true), new Map(6, 2, Rw, Anon), new Call("madvise", 3 * Page, 5 * Page, MADV_POPULATE_WRITE)], "------xx"),
        ("guard_remove_over_vmas_and_holes", [new Map(1, 2, Rw, Anon), new Map(3, 1, PROT_READ, MAP_SHARED, File: true), new Call("mlock", Page, Page), new Call("madvise", Page, 3 * Page, 103), new Call("madvise", 0, 2 * Page, 103), new Call("madvise", Page, 4 * Page, 103), new Call("madvise", 8 * Page, Page, 103)], ""),
        ("guard_install_over_a_hole_and_a_locked_vma", [new Map(1, 1, Rw, Anon), new Call("mlock", Page, Page), new Call("madvise", 8 * Page, 2 * Page, 102), new Call("madvise", Page, Page, 102)], ""),
        ("msync_of_a_length_that_rounds_to_0", [new Map(0, 1, Rw, Anon), new Call("msync", 0, unchecked((ulong)-0x22), MS_SYNC), new Call("msync", 0, unchecked((ulong)-0x1000), MS_SYNC)], ""),
        ("mremap_of_an_old_length_that_rounds_to_0", [new Map(0, 2, Rw, Anon), new Map(4, 2, Rw, MAP_SHARED | MAP_ANONYMOUS), new Call("mremap", 0, unchecked((ulong)-16), (long)Page), new Call("mremap", 8 * Page, unchecked((ulong)-16), (long)Page), new Call("mremap", 0, 0, (long)Page)], ""),
        ("mlockall_without_future_ends_future", [new Call("mlockall", 0, 0, MCL_FUTURE), new Call("mlockall", 0, 0, MCL_CURRENT), new Map(0, 2, Rw, Anon)], "xx"),
        ("map_locked_under_future_onfault", [new Call("mlockall", 0, 0, MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), new Map(0, 2, Rw, Anon | MAP_LOCKED)], "xx"),
        ("map_locked_under_future", [new Call("mlockall", 0, 0, MCL_FUTURE), new Map(0, 2, Rw, Anon | MAP_LOCKED | MAP_NORESERVE)], "xx"),
    ];

    private string Program()
    {
        var body = new StringBuilder();
        foreach ((string name, Step[] steps, string compare) in s_scenarios)
        {
            body.Append(CultureInfo.InvariantCulture, $"  begin({CHeaderProbe.Literal(name)});\n");
            foreach (Step step in steps)
            {
                body.Append("  ").Append(step switch
                {
                    Map m => $"mapat({m.At}, {m.Count}, {m.Prot}, {m.Flags}, {(m.File ? 1 : 0)});",
                    Unmap u => $"munmap(area + {u.At} * 4096UL, {u.Count} * 4096UL);",
                    Call { Op: "mlock" } c => $"rec(mlock(area + {c.Offset}UL, {c.Length}UL));",
                    Call { Op: "mlock2" } c => $"rec(mlock2(area + {c.Offset}UL, {c.Length}UL, {c.Arg}));",
                    Call { Op: "munlock" } c => $"rec(munlock(area + {c.Offset}UL, {c.Length}UL));",
                    Call { Op: "madvise" } c => $"rec(madvise(area + {c.Offset}UL, {c.Length}UL, {c.Arg}));",
                    Call { Op: "msync" } c => $"rec(msync(area + {c.Offset}UL, {c.Length}UL, {c.Arg}));",
                    Call { Op: "mlockall" } c => $"rec(mlockall({c.Arg}));",
                    Call { Op: "mremap" } c => $"rec(mremap(area + {c.Offset}UL, {c.Length}UL, {c.Arg}UL, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);",
                    _ => throw new InvalidOperationException(step.ToString()),
                }).Append('\n');
            }
            body.Append(CultureInfo.InvariantCulture, $"  end({CHeaderProbe.Literal(compare)});\n");
        }
        return $$"""
            #define _GNU_SOURCE 1
            #include <errno.h>
            #include <fcntl.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <unistd.h>
            static char *area;
            static int fd;
            static void begin(const char *name) {
                area = mmap(NULL, {{Pages}} * 4096UL, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                munmap(area, {{Pages}} * 4096UL);
                printf("%s\t", name);
            }
            static void mapat(int at, int count, int prot, int flags, int file) {
                if (mmap(area + at * 4096UL, count * 4096UL, prot, flags | MAP_FIXED, file ? fd : -1, 0) == MAP_FAILED) printf("map-failed ");
            }
            static void rec(long r) { printf("%d ", r == 0 ? 0 : errno); errno = 0; }
            static void end(const char *compare) {
                printf("|");
                FILE *smaps = fopen("/proc/self/smaps", "r");
                char line[512];
                unsigned long start, stop;
                int in = 0;
                while (fgets(line, sizeof line, smaps)) {
                    if (sscanf(line, "%lx-%lx ", &start, &stop) == 2) {
                        in = start >= (unsigned long)area && start < (unsigned long)area + {{Pages}} * 4096UL;
                        if (in) printf(" %lx-%lx", (start - (unsigned long)area) / 4096, (stop - (unsigned long)area) / 4096);
                    } else if (in && strncmp(line, "VmFlags: ", 9) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        printf(" [%s]", line + 9);
                    }
                }
                fclose(smaps);
                printf(" |");
                for (int i = 0; compare[i]; i++) {
                    unsigned char v = 0;
                    if (compare[i] != 'x') { printf("-"); continue; }
                    if (mincore(area + i * 4096UL, 4096, &v) != 0) printf("."); else printf("%d", v & 1);
                }
                printf("\n");
                munlockall();
                munmap(area, {{Pages}} * 4096UL);
            }
            int main(void) {
                fd = open({{CHeaderProbe.Literal(_path)}}, O_RDWR);
                if (fd < 0) return 2;
            {{body}}
                return 0;
            }
            """;
    }

    private Dictionary<string, string> Warden()
    {
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, Step[] steps, string compare) in s_scenarios)
        {
            using var f = new MmFixture(new MemoryManagerOptions { CanLockMemory = true });
            ulong area = f.Map(Pages * Page, PROT_NONE);
            Assert.Null(MemorySyscalls.Munmap(f.Ctx, f.Mm, area, Pages * Page));
            var text = new StringBuilder();
            void Rec(Error? error) => text.Append(error is null ? "0" : ((Errno)error).Number.ToString(CultureInfo.InvariantCulture)).Append(' ');
            foreach (Step step in steps)
            {
                switch (step)
                {
                    case Map m:
                        HostFileMappable? file = null;
                        if (m.File)
                        {
                            var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
                            (file, Error? openError) = HostFileMappable.Create(handle, _path, f.File, readable: true, writable: true);
                            Assert.Null(openError);
                        }
                        (_, Error? mapError) = MemorySyscalls.Mmap(f.Ctx, f.Mm, area + ((ulong)m.At * Page), (ulong)m.Count * Page, (ulong)m.Prot, (ulong)(uint)(m.Flags | MAP_FIXED), file);
                        file?.DecRef(f.Ctx);
                        if (mapError is not null)
                        {
                            text.Append("map-failed ");
                        }
                        break;
                    case Unmap u:
                        MemorySyscalls.Munmap(f.Ctx, f.Mm, area + ((ulong)u.At * Page), (ulong)u.Count * Page);
                        break;
                    case Call c:
                        ulong at = area + c.Offset;
                        Rec(c.Op switch
                        {
                            "mlock" => MemorySyscalls.Mlock(f.Ctx, f.Mm, at, c.Length),
                            "mlock2" => MemorySyscalls.Mlock(f.Ctx, f.Mm, at, c.Length, (int)c.Arg),
                            "munlock" => MemorySyscalls.Munlock(f.Ctx, f.Mm, at, c.Length),
                            "madvise" => MemorySyscalls.Madvise(f.Ctx, f.Mm, at, c.Length, (int)c.Arg),
                            "msync" => MemorySyscalls.Msync(f.Ctx, f.Mm, at, c.Length, (int)c.Arg),
                            "mlockall" => MemorySyscalls.Mlockall(f.Ctx, f.Mm, (int)c.Arg),
                            "mremap" => MemorySyscalls.Mremap(f.Ctx, f.Mm, at, c.Length, (ulong)c.Arg, MREMAP_MAYMOVE, 0).Error,
                            _ => throw new InvalidOperationException(c.Op),
                        });
                        break;
                }
            }
            text.Append('|').Append(Vmas(f.Mm.SmapsText(f.Ctx), area)).Append(" |");
            for (int i = 0; i < compare.Length; i++)
            {
                if (compare[i] != 'x')
                {
                    text.Append('-');
                    continue;
                }
                var v = new byte[1];
                Error? error = f.Mm.Mincore((Addr)(area + ((ulong)i * Page)), Page, v);
                text.Append(error is not null ? "." : (v[0] & 1).ToString(CultureInfo.InvariantCulture));
            }
            answers[name] = text.ToString();
        }
        return answers;
    }

    // The vmas starting in the area as " start-end [flags]" in pages from its start, as the C program prints them.
    private static string Vmas(string smaps, ulong area)
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
                inRange = start >= area && start < area + (Pages * Page);
                if (inRange)
                {
                    text.Append(CultureInfo.InvariantCulture, $" {(start - area) / Page:x}-{(end - area) / Page:x}");
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
    public void EveryScenario_GivesTheKernelsErrnosVmasAndResidency()
    {
        Skip.If(!Environment.IsPrivilegedProcess, "mlock and mlockall of these sizes need CAP_IPC_LOCK.");
        File.WriteAllBytes(_path, new byte[(3 * Page) + (Page / 2)]);
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(Program());
        Dictionary<string, string> warden = Warden();

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value != warden[k.Key]).Select(k => $"{k.Key}:\n  kernel {k.Value}\n  warden {warden[k.Key]}").ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {kernel.Count} scenarios differ:\n" + string.Join("\n", differences));
    }
}
