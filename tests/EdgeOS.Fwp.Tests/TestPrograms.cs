using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using EdgeOS.Core.Capabilities;

namespace EdgeOS.Fwp.Tests;

[StructLayout(LayoutKind.Sequential)]
internal struct CounterState
{
    public long Messages;
    public long Sum;
    public long Marker;
    public FwpCapability Sink;
}

/// <summary>Where test programs report results: granted to instances through a capability.</summary>
internal sealed class Sink
{
    public ConcurrentQueue<(long Id, string Tenant, long Value)> Items { get; } = new();
}

/// <summary>Counts messages and sums their first 8 bytes; message "exit" ends it, "throw" throws, "sink" reports.</summary>
internal sealed class CounterProgram : IFwpProgram
{
    public const long TemplateMarker = 0x5EED;

    public static void Start(FwpStartContext context)
    {
        ref CounterState state = ref context.State<CounterState>();
        state.Marker = TemplateMarker;
        if (context.Argument is Sink sink)
        {
            state.Sink = context.Grant(sink, CapabilityRights.Write);
        }
    }

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        if (message.SequenceEqual("exit"u8))
        {
            context.Exit();
            return;
        }

        if (message.SequenceEqual("throw"u8))
        {
            throw new InvalidOperationException("handler failure on purpose");
        }

        if (message.SequenceEqual("sink"u8))
        {
            ref readonly CounterState read = ref context.ReadState<CounterState>();
            Sink sink = context.Resolve<Sink>(read.Sink, CapabilityRights.Write);
            sink.Items.Enqueue((context.Id, context.Tenant.Name, read.Sum));
            return;
        }

        ref CounterState state = ref context.State<CounterState>();
        state.Messages++;
        state.Sum += message.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(message) : message.Length;
    }
}

/// <summary>Writes one byte per chunk for every message: message = number of chunks to touch (1 byte).</summary>
internal sealed class ChunkWriterProgram : IFwpProgram
{
    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        int chunks = message[0];
        for (int i = 0; i < chunks; i++)
        {
            context.GetWritableSpan((long)i * 4096, 1)[0] = 1;
        }
    }
}

/// <summary>Advances a fake clock by the message's value (ticks), as if the handler used that much CPU, and logs the order.</summary>
internal sealed class BurnProgram : IFwpProgram
{
    public static void Start(FwpStartContext context)
    {
        if (context.Argument is BurnEnvironment environment)
        {
            context.State<FwpCapability>() = context.Grant(environment, CapabilityRights.Execute);
        }
    }

    public static void Handle(FwpContext context, ReadOnlySpan<byte> message)
    {
        BurnEnvironment environment = context.Resolve<BurnEnvironment>(context.ReadState<FwpCapability>(), CapabilityRights.Execute);
        environment.Order.Add(context.Tenant.Name);
        environment.Clock.Advance(BinaryPrimitives.ReadInt64LittleEndian(message));
    }
}

internal sealed class BurnEnvironment(ManualClock clock)
{
    public ManualClock Clock { get; } = clock;

    public List<string> Order { get; } = [];
}

/// <summary>A clock tests move by hand: budgets become deterministic.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _now = 1_000_000_000;

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public void Advance(long ticks) => Interlocked.Add(ref _now, ticks);
}

internal static class Messages
{
    public static byte[] Long(long value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public static void Post(FwpHandle handle, ReadOnlySpan<byte> message)
    {
        FwpPostStatus status = handle.TryPost(message);
        if (status != FwpPostStatus.Posted)
        {
            throw new InvalidOperationException($"post to {handle} failed: {status}");
        }
    }
}
