using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Fwp;
using EdgeOS.Samples.Click.Runtime;

namespace EdgeOS.Samples.Click.Tenants;

/// <summary>A tenant's root in its FWP's copy-on-write region: the grant that reaches the tenant set, and its own counts.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TenantRoot
{
    /// <summary>The capability for the <see cref="TenantSet"/> (granted by the template, read-only).</summary>
    public FwpCapability Tenants;

    /// <summary>0 in the template; the tenant sets it to 1 when it has built its router (0 again after a restart).</summary>
    public int RouterBuilt;

    /// <summary>How many times this incarnation built its router (1, or more after restarts reset the region).</summary>
    public int Builds;

    /// <summary>Packets this tenant received.</summary>
    public long Packets;

    /// <summary>Messages (batches of packets) this tenant received.</summary>
    public long Batches;
}

/// <summary>
/// The tenant program: every tenant of a multi-tenant Click host is an FWP of one template of it. <see cref="Start"/>
/// grants the tenant set (the template router and the host-side tenant records) and leaves the rest of the region
/// zero; <see cref="Handle"/> takes one batch of steered frames: on the first batch of an incarnation it builds the
/// tenant's router from the template router (<see cref="Router.CloneForTenant"/>), then pushes every frame into its
/// <c>FromSteering</c>, then runs the tenant's scheduled tasks (bounded) and expired timers, to completion.
/// </summary>
internal sealed class ClickTenantProgram : IFwpProgram
{
    /// <summary>Message header: tenant index (int32) and frame count (uint16), little-endian; then per frame its length (uint16) and bytes.</summary>
    public const int HeaderBytes = 6;

    /// <summary>Per-frame overhead in a message.</summary>
    public const int FrameHeaderBytes = 2;

    /// <summary>Task rounds run after each batch at most (a source that never idles cannot hold the worker longer).</summary>
    public const int TaskRoundsMax = 64;

    public static void Start(FwpStartContext context)
    {
        var tenants = (TenantSet)context.Argument!;
        context.State<TenantRoot>().Tenants = context.Grant(tenants, CapabilityRights.Read);
    }

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderBytes)
        {
            return; // Only the host posts, always with a header.
        }

        int index = BinaryPrimitives.ReadInt32LittleEndian(message);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
        TenantSet set = context.Resolve<TenantSet>(context.ReadState<TenantRoot>().Tenants, CapabilityRights.Read);
        ClickTenant? tenant = set.Find(index);
        if (tenant is null || tenant.Fwp.Id != context.Id)
        {
            return; // Not this FWP's tenant record: never touch another tenant's router.
        }

        ref TenantRoot root = ref context.State<TenantRoot>(); // the first write copies the root's chunk
        if (root.RouterBuilt == 0 || tenant.Router is null)
        {
            // A fresh incarnation, or one restarted after a fault (the region is back to the template's): its router
            // starts again from the template router's state.
            tenant.AttachRouter(set.BuildRouter());
            root.RouterBuilt = 1;
            root.Builds++;
        }

        Router router = tenant.Router!;
        FromSteering entry = tenant.Entry!;
        PacketPool pool = router.Pool;
        long now = router.Master.NowNanoseconds;
        router.Master.StartBatch(now);
        int offset = HeaderBytes;
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[offset..]);
            offset += FrameHeaderBytes;
            Packet p = pool.Make(message.Slice(offset, length));
            p.TimestampNanoseconds = now;
            offset += length;
            entry.Deliver(p);
        }

        root.Packets += count;
        root.Batches++;
        Master master = router.Master;
        for (int round = 0; round < TaskRoundsMax && master.RunTasksOnce(); round++)
        {
        }

        master.RunTimers();
    }
}
