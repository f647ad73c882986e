using EdgeOS.Core.Channels;
using EdgeOS.Core.Channels.Internal;
using EdgeOS.Core.Memory;

namespace EdgeOS.Core.Tests.Channels;

/// <summary>Helpers shared by the channel tests: regions, payload patterns, collecting handlers, header pokes.</summary>
internal static unsafe class ChannelTestSupport
{
    /// <summary>0, 1, ..., 255, 0, 1, ... long enough to slice any payload pattern from.</summary>
    internal static readonly byte[] Pattern = CreatePattern(1 << 21);

    internal static readonly ChannelOptions FastOptions = new()
    {
        Name = "test",
        PeerTimeout = TimeSpan.FromMilliseconds(300),
        LivenessCheckInterval = TimeSpan.FromMilliseconds(10),
        EnableMetrics = false,
    };

    internal static MemoryRegion RegionFor(int capacityBytes) => MemoryRegion.Allocate(ByteRing.RequiredBytes(capacityBytes));

    /// <summary>The payload a (producer, sequence) pair carries: a slice of <see cref="Pattern"/> starting at a seed.</summary>
    internal static ReadOnlySpan<byte> Payload(int producer, long sequence, int length) =>
        Pattern.AsSpan(Seed(producer, sequence), length);

    internal static int Seed(int producer, long sequence) => (int)((((ulong)producer * 37) + ((ulong)sequence * 13)) & 0xFF);

    /// <summary>A deterministic length in 0..max for a (producer, sequence): mostly small, one in eight anywhere up to max.</summary>
    internal static int LengthFor(int producer, long sequence, int max)
    {
        ulong h = ((ulong)sequence * 0x9E3779B97F4A7C15UL) ^ ((ulong)producer * 0xC2B2AE3D27D4EB4FUL);
        h ^= h >> 29;
        return (h & 7) == 0 ? (int)((h >> 8) % (ulong)(max + 1)) : (int)((h >> 8) % (ulong)Math.Min(max + 1, 65));
    }

    /// <summary>Type field carrying producer id (bits 24..30) and the low 24 bits of the sequence.</summary>
    internal static int TypeFor(int producer, long sequence) => (producer << 24) | (int)(sequence & 0xFFFFFF);

    internal static byte* Header(MemoryRegion region, long offset = 0) => region.DangerousPointer + offset;

    internal static ref long HeaderLong(MemoryRegion region, int offset) => ref *(long*)(region.DangerousPointer + offset);

    internal static ref int HeaderInt(MemoryRegion region, int offset) => ref *(int*)(region.DangerousPointer + offset);

    internal static ref long DataWord(MemoryRegion region, long dataOffset) => ref *(long*)(region.DangerousPointer + ChannelDescriptor.HeaderSizeBytes + dataOffset);

    /// <summary>Makes producer slot <paramref name="slot"/> look owned by a process that does not exist.</summary>
    internal static void KillProducerIdentity(MemoryRegion region, int slot)
    {
        byte* line = region.DangerousPointer + ChannelDescriptor.ProducerSlotOffset(slot);
        *(int*)(line + ChannelDescriptor.IdentityPidOffset) = NonexistentPid;
    }

    internal static void KillConsumerIdentity(MemoryRegion region)
    {
        byte* line = region.DangerousPointer + ChannelDescriptor.ConsumerIdentityOffset;
        *(int*)(line + ChannelDescriptor.IdentityPidOffset) = NonexistentPid;
    }

    /// <summary>Gives the identity a start time that differs from the running process's (a reused pid).</summary>
    internal static void StaleStartTime(MemoryRegion region, int lineOffset)
    {
        byte* line = region.DangerousPointer + lineOffset;
        *(ulong*)(line + ChannelDescriptor.IdentityStartTimeOffset) += 12345;
    }

    /// <summary>A pid above the kernel's pid_max (at most 2^22), which no process can have.</summary>
    internal const int NonexistentPid = (1 << 22) + 12345;

    private static byte[] CreatePattern(int length)
    {
        var pattern = new byte[length];
        for (int i = 0; i < pattern.Length; i++)
        {
            pattern[i] = (byte)i;
        }

        return pattern;
    }
}

/// <summary>Collects every message (type, copy of payload) for assertions.</summary>
internal struct CollectingHandler : IChannelMessageHandler
{
    public CollectingHandler()
    {
    }

    public List<(int Type, byte[] Payload)> Messages { get; } = [];

    public readonly void OnMessage(int type, ReadOnlySpan<byte> message) => Messages.Add((type, message.ToArray()));
}

/// <summary>
/// Verifies the concurrency stream: per producer, sequences arrive in order with no gap or duplicate, each with the
/// length and the bytes its (producer, sequence) dictates (so a torn record fails).
/// </summary>
internal struct VerifyingHandler : IChannelMessageHandler
{
    private readonly long[] _next;
    private readonly int _max;

    public VerifyingHandler(int producers, int max)
    {
        _next = new long[producers];
        _max = max;
    }

    public long Count { get; private set; }

    public long Bytes { get; private set; }

    public string? Failure { get; private set; }

    public readonly long NextSequence(int producer) => _next[producer];

    public void OnMessage(int type, ReadOnlySpan<byte> message)
    {
        int producer = type >> 24;
        if ((uint)producer >= (uint)_next.Length)
        {
            Failure ??= $"unknown producer {producer} in type {type:X}";
            return;
        }

        long sequence = _next[producer];
        if ((type & 0xFFFFFF) != (int)(sequence & 0xFFFFFF))
        {
            Failure ??= $"producer {producer}: expected sequence {sequence}, got {type & 0xFFFFFF} (lost, duplicated or reordered)";
            return;
        }

        int length = ChannelTestSupport.LengthFor(producer, sequence, _max);
        if (message.Length != length || !message.SequenceEqual(ChannelTestSupport.Payload(producer, sequence, length)))
        {
            Failure ??= $"producer {producer} sequence {sequence}: torn or wrong payload (length {message.Length}, expected {length})";
            return;
        }

        _next[producer] = sequence + 1;
        Count++;
        Bytes += length;
    }
}
