using Warden.Tests.Infrastructure;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>Debian's busybox-static, the real program the kernel's tests run.</summary>
internal static class Busybox
{
    public const string Path = "/bin/busybox";

    /// <summary>Skips (or in CI fails) the test unless busybox-static is installed.</summary>
    public static void Require() => Prerequisite.Require(File.Exists(Path), "busybox-static (/bin/busybox)");

    /// <summary>The argv of <c>busybox APPLET ARGS...</c>, argv[0] the path as a native exec gives it.</summary>
    public static string[] Argv(string applet, params string[] args) => [Path, applet, .. args];

    /// <summary>The small fixed environment both runs get, so neither sees the test runner's.</summary>
    public static readonly string[] Environment =
    [
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "HOME=/",
        "LC_ALL=C",
        "TZ=UTC",
        "TERM=dumb",
        "WARDEN_TEST=1",
    ];
}
