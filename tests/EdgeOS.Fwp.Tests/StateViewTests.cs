using EdgeOS.Core.Memory;
using Xunit;

namespace EdgeOS.Fwp.Tests;

/// <summary>Writes its message at offset 8192 through <see cref="FwpContext.StateView"/>, as a view-based data structure would.</summary>
internal sealed class ViewWriterProgram : IFwpProgram
{
    public const long Offset = 8192;

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        CowView view = context.StateView;
        message.CopyTo(view.GetWritableSpan(Offset, message.Length));
        context.State<long>() = view.GetReadOnlyRef<long>(Offset);
    }
}

public sealed class StateViewTests
{
    [Fact]
    public void WritesThroughTheStateViewArePrivateChargedAndSeenByTheOtherStateMembers()
    {
        using var runtime = new FwpRuntime(new FwpRuntimeOptions { WorkerCount = 0 });
        using FwpTemplate template = FwpTemplate.Create<ViewWriterProgram>(new FwpTemplateOptions { StateSizeBytes = 16 * 1024 });
        FwpTenant tenantA = runtime.CreateTenant("a");
        FwpTenant tenantB = runtime.CreateTenant("b");
        FwpHandle a = runtime.Spawn(template, tenantA);
        FwpHandle b = runtime.Spawn(template, tenantB);
        long chargedBefore = tenantA.Account.UsedBytes;

        Assert.Equal(FwpPostStatus.Posted, a.TryPost(BitConverter.GetBytes(0x1234_5678_9ABCL)));
        runtime.RunUntilIdle();

        CowView viewA = a.Instance!.View;
        Assert.Equal(0x1234_5678_9ABCL, viewA.GetReadOnlyRef<long>(ViewWriterProgram.Offset));
        Assert.Equal(0x1234_5678_9ABCL, viewA.GetReadOnlyRef<long>(0));
        Assert.Equal(2 * 4096, viewA.PrivateBytes);
        Assert.True(tenantA.Account.UsedBytes >= chargedBefore + (2 * 4096), "the copies are charged to the writer's tenant");

        // Neither the other tenant's instance nor the template sees the write.
        Assert.Equal(0, b.Instance!.View.GetReadOnlyRef<long>(ViewWriterProgram.Offset));
        Assert.Equal(0, b.Instance.View.PrivateBytes);
        Assert.Equal(0, tenantB.Account.UsedBytes);
        using CowView fresh = template.Image.CreateView();
        Assert.Equal(0, fresh.GetReadOnlyRef<long>(ViewWriterProgram.Offset));
    }
}
