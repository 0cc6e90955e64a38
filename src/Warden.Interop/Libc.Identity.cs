using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Warden.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "getuid")]
    private static partial uint GetuidNative();

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    private static partial uint GeteuidNative();

    [LibraryImport(LibraryName, EntryPoint = "getgid")]
    private static partial uint GetgidNative();

    [LibraryImport(LibraryName, EntryPoint = "getegid")]
    private static partial uint GetegidNative();

    [LibraryImport(LibraryName, EntryPoint = "getgroups", SetLastError = true)]
    private static partial int GetgroupsNative(int size, uint* list);

    /// <summary>Warden's real and effective user and group IDs.</summary>
    [SupportedOSPlatform("linux")]
    public static (uint Uid, uint Euid, uint Gid, uint Egid) GetIds() => (GetuidNative(), GeteuidNative(), GetgidNative(), GetegidNative());

    /// <summary>Warden's supplementary groups.</summary>
    [SupportedOSPlatform("linux")]
    public static uint[] GetGroups()
    {
        uint* list = stackalloc uint[256];
        int n = GetgroupsNative(256, list);
        return n <= 0 ? [] : new ReadOnlySpan<uint>(list, n).ToArray();
    }
}
