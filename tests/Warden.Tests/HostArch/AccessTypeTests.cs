using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

public class AccessTypeTests
{
    [Fact]
    public void PredefinedSets()
    {
        Assert.Equal(new AccessType(false, false, false), AccessType.NoAccess);
        Assert.Equal(new AccessType(true, false, false), AccessType.ReadOnly);
        Assert.Equal(new AccessType(false, true, false), AccessType.WriteOnly);
        Assert.Equal(new AccessType(false, false, true), AccessType.ExecuteOnly);
        Assert.Equal(new AccessType(true, true, false), AccessType.ReadWrite);
        Assert.Equal(new AccessType(true, false, true), AccessType.ReadExecute);
        Assert.Equal(new AccessType(true, true, true), AccessType.AnyAccess);
    }

    [Fact]
    public void Any()
    {
        Assert.False(AccessType.NoAccess.Any);
        Assert.True(AccessType.ReadOnly.Any);
        Assert.True(AccessType.WriteOnly.Any);
        Assert.True(AccessType.ExecuteOnly.Any);
    }

    [Theory]
    [InlineData(0, "---")]
    [InlineData(1, "r--")]
    [InlineData(2, "-w-")]
    [InlineData(3, "rw-")]
    [InlineData(4, "--x")]
    [InlineData(5, "r-x")]
    [InlineData(6, "-wx")]
    [InlineData(7, "rwx")]
    public void ProtBits_RoundTripAndFormat(int prot, string text)
    {
        AccessType access = AccessType.FromProt(prot);
        Assert.Equal(prot, access.ToProt());
        Assert.Equal(text, access.ToString());
        Assert.Equal((prot & 1) != 0, access.Read);
        Assert.Equal((prot & 2) != 0, access.Write);
        Assert.Equal((prot & 4) != 0, access.Execute);
    }

    [Fact]
    public void FromProt_IgnoresOtherBits()
    {
        // PROT_GROWSDOWN and PROT_GROWSUP are not access kinds.
        Assert.Equal(AccessType.ReadOnly, AccessType.FromProt(0x01000000 | 0x1));
        Assert.Equal(AccessType.ReadWrite, AccessType.FromProt(0x02000000 | 0x3));
        Assert.Equal(AccessType.NoAccess, AccessType.FromProt(0x8));
        Assert.Equal(AccessType.AnyAccess, AccessType.FromProt(-1));
    }

    [Fact]
    public void Effective_AddsReadToWriteOrExecute()
    {
        Assert.Equal(AccessType.NoAccess, AccessType.NoAccess.Effective());
        Assert.Equal(AccessType.ReadOnly, AccessType.ReadOnly.Effective());
        Assert.Equal(AccessType.ReadWrite, AccessType.WriteOnly.Effective());
        Assert.Equal(AccessType.ReadExecute, AccessType.ExecuteOnly.Effective());
        Assert.Equal(AccessType.AnyAccess, new AccessType(false, true, true).Effective());
    }

    [Fact]
    public void SupersetOf()
    {
        Assert.True(AccessType.AnyAccess.SupersetOf(AccessType.ReadWrite));
        Assert.True(AccessType.ReadWrite.SupersetOf(AccessType.ReadWrite));
        Assert.True(AccessType.ReadOnly.SupersetOf(AccessType.NoAccess));
        Assert.True(AccessType.NoAccess.SupersetOf(AccessType.NoAccess));
        Assert.False(AccessType.ReadOnly.SupersetOf(AccessType.ReadWrite));
        Assert.False(AccessType.ReadWrite.SupersetOf(AccessType.ExecuteOnly));
        Assert.False(AccessType.NoAccess.SupersetOf(AccessType.ReadOnly));
        Assert.False(AccessType.WriteOnly.SupersetOf(AccessType.ReadOnly));
    }

    [Fact]
    public void IntersectAndUnion()
    {
        Assert.Equal(AccessType.ReadOnly, AccessType.ReadWrite.Intersect(AccessType.ReadExecute));
        Assert.Equal(AccessType.NoAccess, AccessType.WriteOnly.Intersect(AccessType.ReadExecute));
        Assert.Equal(AccessType.AnyAccess, AccessType.WriteOnly.Union(AccessType.ReadExecute));
        Assert.Equal(AccessType.ReadWrite, AccessType.ReadOnly.Union(AccessType.WriteOnly));
        for (int a = 0; a < 8; a++)
        {
            for (int b = 0; b < 8; b++)
            {
                Assert.Equal(a & b, AccessType.FromProt(a).Intersect(AccessType.FromProt(b)).ToProt());
                Assert.Equal(a | b, AccessType.FromProt(a).Union(AccessType.FromProt(b)).ToProt());
                Assert.Equal((a & b) == b, AccessType.FromProt(a).SupersetOf(AccessType.FromProt(b)));
            }
        }
    }
}
