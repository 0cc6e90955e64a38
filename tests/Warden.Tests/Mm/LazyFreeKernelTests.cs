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
/// MADV_FREE followed by MADV_PAGEOUT, on this machine's kernel (a small C program, run by the test)
/// and on Warden: pages left clean are discarded and read back as zeros, pages written again, the
/// zero page and pages a fork still shares are kept. Each line gives, per page, its first byte and
/// its mincore residency.
/// </summary>
public sealed class LazyFreeKernelTests
{
    private const ulong Page = MmFixture.Page;

    private const string Program = """
        #define P 4096
        #define SHOW(name, p, n) do { unsigned char v_[16]; mincore(p, (n) * P, v_); printf("%s\t", name); \
            for (int i_ = 0; i_ < (n); i_++) printf("%d/%d ", (p)[i_ * P], v_[i_] & 1); printf("\n"); } while (0)
        char *p = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (int i = 0; i < 4; i++) p[i * P] = i + 1;
        madvise(p, 4 * P, MADV_FREE);
        p[P] = 9;
        (void)*(volatile char *)(p + 2 * P);
        madvise(p, 4 * P, MADV_PAGEOUT);
        SHOW("free_write_read_pageout", p, 4);
        char *q = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        (void)*(volatile char *)q;
        q[P] = 5;
        madvise(q, 2 * P, MADV_FREE);
        madvise(q, 2 * P, MADV_PAGEOUT);
        SHOW("zero_page_kept", q, 2);
        char *c = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        c[0] = 1;
        c[P] = 2;
        madvise(c, 2 * P, MADV_COLD);
        SHOW("cold_keeps", c, 2);
        char *r = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        r[0] = 1; r[P] = 2; r[2 * P] = 3;
        int go[2], done[2];
        if (pipe(go) != 0 || pipe(done) != 0) return 1;
        pid_t child = fork();
        if (child == 0) {
            char b;
            if (read(go[0], &b, 1) != 1) _exit(1);
            r[2 * P] = 7; /* the child's own copy: the parent's page is its alone again */
            if (write(done[1], "x", 1) != 1) _exit(1);
            if (read(go[0], &b, 1) != 1) _exit(1);
            _exit(0);
        }
        madvise(r, 3 * P, MADV_FREE);
        madvise(r, 3 * P, MADV_PAGEOUT);
        SHOW("shared_with_fork_kept", r, 3);
        char b;
        if (write(go[1], "x", 1) != 1 || read(done[0], &b, 1) != 1) return 1;
        madvise(r, 3 * P, MADV_PAGEOUT);
        SHOW("child_copied_one", r, 3);
        if (write(go[1], "x", 1) != 1) return 1;
        waitpid(child, NULL, 0);
        madvise(r, 3 * P, MADV_PAGEOUT);
        SHOW("child_gone", r, 3);
        madvise(r, 3 * P, MADV_FREE);
        madvise(r, 3 * P, MADV_PAGEOUT);
        SHOW("zero_pages_after_discard", r, 3);
        """;

    private static Dictionary<string, string> Warden()
    {
        using var f = new MmFixture();
        var lines = new Dictionary<string, string>();
        void Advise(MemoryManager mm, ulong at, ulong length, int advice) => Assert.Null(MemorySyscalls.Madvise(f.Ctx, mm, at, length, advice));
        void Show(string name, ulong at, int pages)
        {
            var vector = new byte[pages];
            Assert.Null(f.Mm.Mincore((Addr)at, (ulong)pages * Page, vector));
            var text = new StringBuilder();
            for (int i = 0; i < pages; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{f.Read(at + ((ulong)i * Page), 1)[0]}/{vector[i] & 1} ");
            }
            lines[name] = text.ToString();
        }

        ulong p = f.Map(4 * Page);
        for (ulong i = 0; i < 4; i++)
        {
            f.Write(p + (i * Page), [(byte)(i + 1)]);
        }
        Advise(f.Mm, p, 4 * Page, MADV_FREE);
        f.Write(p + Page, [9]);
        f.Read(p + (2 * Page), 1);
        Advise(f.Mm, p, 4 * Page, MADV_PAGEOUT);
        Show("free_write_read_pageout", p, 4);

        ulong q = f.Map(2 * Page);
        f.Read(q, 1);
        f.Write(q + Page, [5]);
        Advise(f.Mm, q, 2 * Page, MADV_FREE);
        Advise(f.Mm, q, 2 * Page, MADV_PAGEOUT);
        Show("zero_page_kept", q, 2);

        ulong c = f.Map(2 * Page);
        f.Write(c, [1]);
        f.Write(c + Page, [2]);
        Advise(f.Mm, c, 2 * Page, MADV_COLD);
        Show("cold_keeps", c, 2);

        ulong r = f.Map(3 * Page);
        f.Write(r, [1]);
        f.Write(r + Page, [2]);
        f.Write(r + (2 * Page), [3]);
        (MemoryManager? child, Error? forkError) = f.Mm.Fork(f.Ctx);
        Assert.Null(forkError);
        Advise(f.Mm, r, 3 * Page, MADV_FREE);
        Advise(f.Mm, r, 3 * Page, MADV_PAGEOUT);
        Show("shared_with_fork_kept", r, 3);
        Assert.Equal(1, child!.CopyOut(f.Ctx, (Addr)(r + (2 * Page)), [7], default).Count);
        Advise(f.Mm, r, 3 * Page, MADV_PAGEOUT);
        Show("child_copied_one", r, 3);
        child.Dispose();
        Advise(f.Mm, r, 3 * Page, MADV_PAGEOUT);
        Show("child_gone", r, 3);
        Advise(f.Mm, r, 3 * Page, MADV_FREE);
        Advise(f.Mm, r, 3 * Page, MADV_PAGEOUT);
        Show("zero_pages_after_discard", r, 3);
        f.Mm.CheckInvariants();
        return lines;
    }

    [SkippableFact]
    public void FreedPages_AreDiscardedByPageout_AsThisMachinesKernelDiscardsThem()
    {
        IReadOnlyDictionary<string, string> kernel = CHeaderProbe.RunKeyValues(
            CHeaderProbe.Program(["stdio.h", "sys/mman.h", "sys/wait.h", "unistd.h"], Program));
        Dictionary<string, string> warden = Warden();

        Assert.Equal(kernel.Keys.Order(), warden.Keys.Order());
        var differences = kernel.Where(k => k.Value.Trim() != warden[k.Key].Trim())
            .Select(k => $"{k.Key}: kernel \"{k.Value}\", Warden \"{warden[k.Key]}\"")
            .ToList();
        Assert.True(differences.Count == 0, string.Join("; ", differences));
    }
}
