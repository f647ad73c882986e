using EdgeOS.Core.Memory;
using Xunit;

namespace EdgeOS.Core.Tests.Memory;

public sealed class CowViewReassignTests
{
    [Fact]
    public void ResetAndReassignGivesBackTheOldChargeAndChargesTheNewAccountFromThenOn()
    {
        using CowImage image = CowImage.Create(new byte[16 * 4096]);
        var first = new MemoryAccount("first");
        var second = new MemoryAccount("second", quotaBytes: 1 << 20);
        using CowView view = image.CreateView(first);
        view.GetRef<long>(0) = 7;
        Assert.True(first.UsedBytes >= 4096);

        view.ResetAndReassign(second);
        Assert.Equal(0, first.UsedBytes);
        Assert.Equal(0, second.UsedBytes);
        Assert.Same(second, view.Account);
        Assert.Equal(0, view.GetReadOnlyRef<long>(0));

        view.GetRef<long>(4096) = 1;
        Assert.Equal(0, first.UsedBytes);
        Assert.Equal(view.ChargedBytes, second.UsedBytes);
    }

    [Fact]
    public void ResetAndReassignRefusesNullAndDisposedViews()
    {
        using CowImage image = CowImage.Create(new byte[4096]);
        CowView view = image.CreateView();
        Assert.Throws<ArgumentNullException>(() => view.ResetAndReassign(null!));
        view.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.ResetAndReassign(MemoryAccount.Unlimited));
    }
}
