using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Fwp;
using EdgeOS.Samples.Memcached.Protocol;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>What the template's start-up needs: the store's limits, the clock origin and the channel table to grant.</summary>
internal sealed record TemplateArgument(long MaxBytes, long ItemSizeMax, long UnixSecondsNow, ChannelTable Channels, int Verbosity = 0);

/// <summary>The program's own root in the state: the capability that reaches the channel table.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProgramRoot
{
    public FwpCapability Channels;
}

/// <summary>
/// The tenant program: every tenant is an FWP of one template of it. <see cref="Start"/> formats an empty store in
/// the template's state region (header and slab classes; the hash table and the pages stay zero) and grants the
/// channel table; every tenant's FWP starts from that image and copies only the 4 KiB chunks it writes.
/// <see cref="Handle"/> runs one channel operation to completion on a runtime worker.
/// </summary>
internal sealed class MemcachedProgram : IFwpProgram
{
    /// <summary>Where <see cref="ProgramRoot"/> lives: the end of the store header's chunk, which the header leaves free.</summary>
    public const long RootOffset = StoreLayout.ClassTableOffset - 64;

    public static unsafe void Start(FwpStartContext context)
    {
        var argument = (TemplateArgument)context.Argument!;

        // The template's region is one pinned native block (it is not chunked until it is frozen), so a pointer to
        // its first byte reaches all of it; only the header and class table are written here.
        byte* start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(context.GetSpan(0, 1)));
        PointerStoreMemory memory = new(start, context.StateSizeBytes);
        ItemStore.Format(memory, argument.UnixSecondsNow, argument.MaxBytes, argument.ItemSizeMax);
        if (argument.Verbosity > 1)
        {
            VerboseLog.SlabClasses(memory); // once, for the template every tenant shares (memcached -vv prints its own)
        }

        context.State<ProgramRoot>(RootOffset).Channels = context.Grant(argument.Channels, CapabilityRights.Read);
    }

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        if (message.Length != TenantChannel.MessageBytes)
        {
            return; // Only the host posts, and always 12 bytes; anything else names no channel.
        }

        var op = (ChannelOp)BinaryPrimitives.ReadInt32LittleEndian(message);
        int slot = BinaryPrimitives.ReadInt32LittleEndian(message[4..]);
        int generation = BinaryPrimitives.ReadInt32LittleEndian(message[8..]);
        ChannelTable channels = context.Resolve<ChannelTable>(context.ReadState<ProgramRoot>(RootOffset).Channels, CapabilityRights.Read);
        TenantChannel? channel = channels.Find(slot, generation);
        if (channel is null || channel.Tenant.Fwp.Id != context.Id)
        {
            return; // A channel that closed meanwhile, or not this tenant's: nothing to do, nobody waits for it.
        }

        channel.Tenant.Store.Bind(context.StateView);
        if (op == ChannelOp.ProcessDatagrams)
        {
            // UDP: nobody awaits the channel; the batch sends its own responses and re-arms the socket, also when a
            // request throws (which faults the FWP). Datagrams stand alone, so a restart leaves nothing to forget.
            channel.RestartEpoch = context.RestartCount;
            channel.Datagrams!.RunBatch();
            return;
        }

        SessionStatus status = SessionStatus.NeedMore;
        try
        {
            if (channel.RestartEpoch != context.RestartCount)
            {
                // The store was reset to the template after a fault: the session's pending item is gone with it.
                channel.RestartEpoch = context.RestartCount;
                channel.Session.Forget();
                status = SessionStatus.Close;
            }
            else if (op == ChannelOp.Process)
            {
                status = channel.Session.Process(ref channel.Input, channel.Output);
                if (channel.ResetAfterEach)
                {
                    channel.Session.Reset();
                }
            }
            else
            {
                channel.Session.Abort();
            }
        }
        catch (Exception e)
        {
            // The connection learns of it and closes; the FWP faults and restarts from the template (an empty cache,
            // as a restarted memcached), which no other tenant notices.
            channel.Fail(e);
            throw;
        }

        channel.Complete(status);
    }
}
