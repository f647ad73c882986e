using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using EdgeOS.Core.Channels;

namespace EdgeOS.Benchmarks.Channels;

/// <summary>
/// Producer and consumer loops over a <see cref="ByteRing"/> shared by the in-process benchmarks and the
/// cross-process comparison, so both measure exactly the same code. Each message carries its sequence number in its
/// first 8 bytes; the consumer checks the sequence, so a benchmark that loses or reorders a message fails.
/// </summary>
internal static class RingTransfer
{
    /// <summary>Produces <paramref name="count"/> messages through zero-copy claims, spinning while the ring is full.</summary>
    public static void ProduceClaimed(ByteRing ring, long firstSequence, long count, int sizeBytes)
    {
        long end = firstSequence + count;
        for (long sequence = firstSequence; sequence < end; sequence++)
        {
            ChannelClaim claim;
            while (!ring.TryClaim(sizeBytes, 1, out claim))
            {
                WaitForSpace(ring, sizeBytes);
            }

            BinaryPrimitives.WriteInt64LittleEndian(claim.Span, sequence);
            claim.Commit();
        }
    }

    /// <summary>Produces <paramref name="count"/> messages by copying from a caller buffer (the convenience API).</summary>
    public static void ProduceCopied(ByteRing ring, long firstSequence, long count, byte[] message)
    {
        long end = firstSequence + count;
        for (long sequence = firstSequence; sequence < end; sequence++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(message, sequence);
            while (!ring.TryWrite(1, message))
            {
                WaitForSpace(ring, message.Length);
            }
        }
    }

    /// <summary>
    /// Consumes <paramref name="count"/> messages in batches, waiting (spin, yield, park) when the ring is empty, and
    /// checks the sequence of each message. Returns the stopwatch timestamp of the first message received.
    /// </summary>
    public static long Consume(ByteRing ring, long count, ChannelDeliveryMode mode = ChannelDeliveryMode.Shared)
    {
        var handler = new SequenceChecker { Next = 0 };
        long first = 0;
        while (handler.Next < count)
        {
            if (ring.Read(ref handler, 4096, mode) == 0)
            {
                ring.WaitToRead(Timeout.InfiniteTimeSpan);
            }
            else if (first == 0)
            {
                first = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }

        if (handler.Next != count)
        {
            throw new InvalidOperationException($"Received {handler.Next} messages, expected {count}.");
        }

        return first;
    }

    /// <summary>Consumes messages from several producers, checking each producer's own sequence (type = producer).</summary>
    public static void ConsumeMany(ByteRing ring, long count, long[] nextPerProducer)
    {
        Array.Clear(nextPerProducer);
        var handler = new MultiSequenceChecker(nextPerProducer);
        while (handler.Received < count)
        {
            if (ring.Read(ref handler, 4096, ChannelDeliveryMode.Shared) == 0)
            {
                ring.WaitToRead(Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Produces <paramref name="count"/> messages tagged with type <paramref name="producer"/>.</summary>
    public static void ProduceTagged(ByteRing ring, int producer, long count, int sizeBytes)
    {
        for (long sequence = 0; sequence < count; sequence++)
        {
            ChannelClaim claim;
            while (!ring.TryClaim(sizeBytes, producer, out claim))
            {
                WaitForSpace(ring, sizeBytes);
            }

            BinaryPrimitives.WriteInt64LittleEndian(claim.Span, sequence);
            claim.Commit();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaitForSpace(ByteRing ring, int sizeBytes)
    {
        // Spin briefly first (the consumer frees a whole batch at once), then let the ring park the producer.
        for (int i = 0; i < 64; i++)
        {
            Thread.SpinWait(8);
            if (ring.DepthBytes + sizeBytes + 16 <= ring.CapacityBytes)
            {
                return;
            }
        }

        Thread.Yield();
    }

    private struct SequenceChecker : IChannelMessageHandler
    {
        public long Next;

        public void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(message);
            if (sequence != Next)
            {
                ThrowOutOfOrder(Next, sequence);
            }

            Next++;
        }
    }

    private struct MultiSequenceChecker(long[] next) : IChannelMessageHandler
    {
        private readonly long[] _next = next;
        public long Received;

        public void OnMessage(int type, ReadOnlySpan<byte> message)
        {
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(message);
            if (sequence != _next[type])
            {
                ThrowOutOfOrder(_next[type], sequence);
            }

            _next[type]++;
            Received++;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfOrder(long expected, long received)
        => throw new InvalidOperationException($"Expected message {expected}, received {received}.");
}
