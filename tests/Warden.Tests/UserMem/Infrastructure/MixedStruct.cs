using System.Runtime.InteropServices;

namespace Warden.Tests.UserMem.Infrastructure;

/// <summary>Laid out as the C struct <c>{ int32_t a; int64_t b; int16_t c; }</c>: a@0, b@8, c@16, size 24 (padding inside and at the end).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MixedStruct
{
    public int A;
    public long B;
    public short C;

    /// <summary>A value whose every field differs from zero and from <see cref="Sample"/>(j) for j != <paramref name="i"/>.</summary>
    public static MixedStruct Sample(int i = 0) => new()
    {
        A = unchecked((int)0x8123_4567) + i,
        B = 0x0102_0304_0506_0708 + i,
        C = (short)(-2 - i),
    };
}
