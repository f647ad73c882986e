using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace EdgeOS.Benchmarks.Channels;

/// <summary>A 32-byte message carried by value through a BCL channel (the baseline's best case: no allocation).</summary>
[InlineArray(32)]
internal struct Message32
{
    private byte _element0;
}

/// <summary>A 256-byte message carried by value through a BCL channel.</summary>
[InlineArray(256)]
internal struct Message256
{
    private byte _element0;
}

/// <summary>A 16-byte packet descriptor (frame address, length, flags), as a NIC ring carries.</summary>
internal struct Descriptor16(long address, int length, int flags)
{
    public long Address = address;
    public int Length = length;
    public int Flags = flags;
}

/// <summary>
/// Blocking send and receive over <see cref="System.Threading.Channels"/> for the baselines: try first, spin
/// (without sleeping) while the channel is empty or full, and only then wait asynchronously, so that the BCL
/// channel is measured at its best for a two-thread handoff.
/// </summary>
internal static class BclChannelTransfer
{
    public static Channel<T> CreateBounded<T>(int capacity, bool singleWriter)
        => Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = singleWriter,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

    public static void Write<T>(ChannelWriter<T> writer, T item)
    {
        if (writer.TryWrite(item))
        {
            return;
        }

        WriteSlow(writer, item);
    }

    public static T Read<T>(ChannelReader<T> reader)
        => reader.TryRead(out T? item) ? item : ReadSlow(reader);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteSlow<T>(ChannelWriter<T> writer, T item)
    {
        var spinner = default(SpinWait);
        while (!writer.TryWrite(item))
        {
            if (spinner.NextSpinWillYield)
            {
                ValueTask<bool> ready = writer.WaitToWriteAsync();
                if (!ready.IsCompleted)
                {
                    ready.AsTask().Wait();
                }

                spinner = default;
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T ReadSlow<T>(ChannelReader<T> reader)
    {
        var spinner = default(SpinWait);
        T? item;
        while (!reader.TryRead(out item))
        {
            if (spinner.NextSpinWillYield)
            {
                ValueTask<bool> ready = reader.WaitToReadAsync();
                if (!ready.IsCompleted)
                {
                    ready.AsTask().Wait();
                }

                spinner = default;
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        return item;
    }
}
