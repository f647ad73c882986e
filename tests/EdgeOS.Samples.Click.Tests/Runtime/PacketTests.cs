using EdgeOS.Samples.Click.Runtime;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Runtime;

public sealed class PacketTests
{
    [Fact]
    public void PushPullPutTakeMoveTheDataWindowAndKeepTheBytes()
    {
        var pool = new PacketPool();
        Packet p = pool.Make([1, 2, 3, 4, 5, 6]);
        Assert.Equal(PacketPool.DefaultHeadroomBytes, p.HeadroomBytes);
        p.Pull(2);
        Assert.Equal(new byte[] { 3, 4, 5, 6 }, p.Data.ToArray());
        p.Push(2);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, p.Data.ToArray());
        p.Take(1);
        p.Put(1);
        Assert.Equal(6, p.Length);
        Assert.Equal(5, p.Data[4]);
        p.Kill();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void PushBeyondTheHeadroomGrowsTheBufferAndKeepsDataAndHeaderAnnotations()
    {
        var pool = new PacketPool();
        Packet p = pool.Make([9, 8, 7, 6], headroom: 2);
        p.SetNetworkHeader(1, 2);
        p.Push(10);
        Assert.Equal(14, p.Length);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, p.Data[10..].ToArray());
        Assert.Equal(11, p.NetworkHeaderDataOffset);
        Assert.Equal(8, p.NetworkHeader[0]);
        p.Kill();
    }

    [Fact]
    public void KilledPacketsAreReusedAndAKillTwiceIsRefused()
    {
        var pool = new PacketPool();
        Packet a = pool.Make([1]);
        a.Paint = 5;
        a.Kill();
        Packet b = pool.Allocate(3);
        Assert.Same(a, b);
        Assert.Equal(0, b.Paint);
        Assert.Equal(-1, b.NetworkHeaderOffset);
        Assert.Equal(1, pool.Created);
        b.Kill();
        Assert.Throws<InvalidOperationException>(b.Kill);
    }

    [Fact]
    public void CloneCopiesDataAndAnnotationsIntoAnotherPacket()
    {
        var pool = new PacketPool();
        Packet a = pool.Make([1, 2, 3]);
        a.Paint = 7;
        a.SetNetworkHeader(1, 1);
        Packet c = a.Clone();
        Assert.NotSame(a, c);
        c.Data[0] = 99;
        Assert.Equal(1, a.Data[0]);
        Assert.Equal(7, c.Paint);
        Assert.Equal(1, c.NetworkHeaderDataOffset);
        a.Kill();
        c.Kill();
        Assert.Equal(0, pool.Outstanding);
    }
}
