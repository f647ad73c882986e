using System.Buffers.Binary;
using System.Globalization;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>What a channel header describes (the <c>kind</c> field).</summary>
internal enum ChannelKind : uint
{
    SpscBytes = 1,
    MpscBytes = 2,
    Descriptors = 3,
}

/// <summary>
/// The layout of an EdgeOS channel in memory (a <see cref="Memory.MemoryRegion"/> or the data area of a shared
/// region), described once: a 2048-byte header of 128-byte lines, then the data area.
/// </summary>
/// <remarks>
/// <code>
///  offset  line                               fields (little-endian; writer in brackets)
///  ------  ---------------------------------  ---------------------------------------------------------------------
///     0    static              [creator]      magic u64 "EDGEOSCH" (written last, release) | version u32 = 1 @8
///                                             | kind u32 @12 (1 SPSC bytes, 2 MPSC bytes, 3 descriptors)
///                                             | headerSize u32 = 2048 @16 | dataCapacity u32 (bytes) @20
///                                             | messageLengthMax u32 (byte rings) or slotSize u32 (descriptors) @24
///                                             | producerSlotCount u32 @28 | slotCount u32 (descriptors) @32
///                                             | reserved u32 @36 | attachCounter i64 @40 [every attacher, atomic]
///   128    consumer identity   [consumer]     pid i32 | state i32 | startTime u64 | epoch i64 | heartbeat i64 (ns)
///   256    consumer position   [consumer]     head i64 | cachedTail i64 | messagesRead i64 | bytesRead i64
///                                             | emptyEvents i64 | skippedRecords i64
///   384    consumer wait       [both]         wait word i32 (bumped by producers) | waiter count i32 (consumer)
///   512    producer wait       [both]         wait word i32 (bumped by the consumer) | waiter count i32 (producers)
///   640    producer position   [producers]    tail i64 | headCache i64
///   768    reserved
///   896    producer slot 0..7  [that producer] pid i32 | state i32 | startTime u64 | epoch i64 | heartbeat i64
///          (128 bytes each)                   | claimState i32 | claimLength i32 | messagesWritten i64
///                                             | bytesWritten i64 | fullEvents i64
///  2048    data area: dataCapacity bytes (a power of two)
/// </code>
/// <para>
/// Every field that two parties write sits on its own 128-byte line (two 64-byte lines, so that adjacent-line
/// prefetching does not pair them either); fields on the same line have the same writer, except the wait lines,
/// which are touched only when somebody parks.
/// </para>
/// <para>
/// Byte-ring records are 8-byte aligned. The first 8 bytes are one 64-bit word, read and written atomically:
/// the low 32 bits are the record length (8 + payload, before alignment), the high 32 bits the type. Length 0
/// means "not written" (the consumer zeroes what it consumed); a negative length is a claim in progress, with the
/// claiming producer's slot index as the type; a positive length with type <see cref="PaddingType"/> is padding
/// to skip. Descriptor rings store raw slots of <c>slotSize</c> bytes.
/// </para>
/// <para>
/// Publication order: the creator clears the header and the data, writes every static field and writes
/// <c>magic</c> last with release semantics; an attacher reads <c>magic</c> first, so seeing it implies seeing
/// the rest.
/// </para>
/// </remarks>
internal static class ChannelDescriptor
{
    internal const int LineBytes = 128;
    internal const int HeaderSizeBytes = 2048;
    internal const uint CurrentVersion = 1;

    /// <summary>"EDGEOSCH" read as a little-endian 64-bit integer.</summary>
    internal const ulong Magic = 0x4843_534F_4547_4445;

    internal const int MagicOffset = 0;
    internal const int VersionOffset = 8;
    internal const int KindOffset = 12;
    internal const int HeaderSizeOffset = 16;
    internal const int CapacityOffset = 20;
    internal const int MessageLengthMaxOffset = 24;
    internal const int SlotSizeOffset = 24;
    internal const int ProducerSlotCountOffset = 28;
    internal const int SlotCountOffset = 32;
    internal const int AttachCounterOffset = 40;

    internal const int ConsumerIdentityOffset = 128;

    internal const int HeadOffset = 256;
    internal const int CachedTailOffset = 264;
    internal const int MessagesReadOffset = 272;
    internal const int BytesReadOffset = 280;
    internal const int EmptyEventsOffset = 288;
    internal const int SkippedRecordsOffset = 296;

    internal const int ConsumerWaitWordOffset = 384;
    internal const int ConsumerWaitersOffset = 388;
    internal const int ProducerWaitWordOffset = 512;
    internal const int ProducerWaitersOffset = 516;

    internal const int TailOffset = 640;
    internal const int HeadCacheOffset = 648;

    internal const int ProducerSlotsOffset = 896;
    internal const int ProducerSlotsMax = 8;

    // Within an identity line (the consumer's, or a producer slot).
    internal const int IdentityPidOffset = 0;
    internal const int IdentityStateOffset = 4;
    internal const int IdentityStartTimeOffset = 8;
    internal const int IdentityEpochOffset = 16;
    internal const int IdentityHeartbeatOffset = 24;

    // Within a producer slot only.
    internal const int SlotClaimStateOffset = 32;
    internal const int SlotClaimLengthOffset = 36;
    internal const int SlotMessagesOffset = 40;
    internal const int SlotBytesOffset = 48;
    internal const int SlotFullEventsOffset = 56;

    // Identity states.
    internal const int StateFree = 0;
    internal const int StateAttached = 1;
    internal const int StateDetached = 2;
    internal const int StateRegistering = 3;

    // Record framing.
    internal const int RecordHeaderBytes = 8;
    internal const int RecordAlignment = 8;
    internal const int PaddingType = -1;

    internal const int CapacityBytesMin = 256;
    internal const int CapacityBytesMax = 1 << 30;

    internal static int ProducerSlotOffset(int slot) => ProducerSlotsOffset + (slot * LineBytes);

    internal static int Align(int length) => (length + (RecordAlignment - 1)) & ~(RecordAlignment - 1);

    /// <summary>The largest record (header included) a byte ring of <paramref name="capacityBytes"/> accepts: an eighth of it.</summary>
    internal static int RecordLengthMax(int capacityBytes) => capacityBytes / 8;

    /// <summary>The largest payload a byte ring of <paramref name="capacityBytes"/> accepts.</summary>
    internal static int MessageLengthMax(int capacityBytes) => RecordLengthMax(capacityBytes) - RecordHeaderBytes;

    internal static string MagicText(ulong magic)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, magic);
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return string.Create(CultureInfo.InvariantCulture, $"0x{magic:X16}");
            }
        }

        return "\"" + System.Text.Encoding.ASCII.GetString(bytes) + "\"";
    }

    /// <summary>Clears the header and the data area, writes the static line, and publishes <c>magic</c> last.</summary>
    internal static unsafe void Initialize(byte* header, ChannelKind kind, int capacityBytes, int messageLengthMaxOrSlotSize, int producerSlotCount, int slotCount)
    {
        new Span<byte>(header, HeaderSizeBytes).Clear();
        NativeClear(header + HeaderSizeBytes, capacityBytes);
        *(uint*)(header + VersionOffset) = CurrentVersion;
        *(uint*)(header + KindOffset) = (uint)kind;
        *(uint*)(header + HeaderSizeOffset) = HeaderSizeBytes;
        *(uint*)(header + CapacityOffset) = (uint)capacityBytes;
        *(uint*)(header + MessageLengthMaxOffset) = (uint)messageLengthMaxOrSlotSize;
        *(uint*)(header + ProducerSlotCountOffset) = (uint)producerSlotCount;
        *(uint*)(header + SlotCountOffset) = (uint)slotCount;
        Volatile.Write(ref *(ulong*)(header + MagicOffset), Magic);
    }

    /// <summary>
    /// Validates the static line of an existing channel against what the attacher expects and what the region can
    /// hold; throws <see cref="ChannelFormatException"/> naming the first wrong field. Reads only.
    /// </summary>
    internal static unsafe (int CapacityBytes, int MessageLengthMaxOrSlotSize, int ProducerSlotCount, int SlotCount) Validate(
        byte* header, long availableBytes, ChannelKind expectedKind, int expectedSlotSize)
    {
        ulong magic = Volatile.Read(ref *(ulong*)(header + MagicOffset));
        if (magic != Magic)
        {
            ChannelThrowHelper.ThrowFormat("magic", MagicText(Magic), MagicText(magic));
        }

        uint version = *(uint*)(header + VersionOffset);
        if (version != CurrentVersion)
        {
            ChannelThrowHelper.ThrowFormat("version", Text(CurrentVersion), Text(version));
        }

        uint kind = *(uint*)(header + KindOffset);
        if (kind != (uint)expectedKind)
        {
            ChannelThrowHelper.ThrowFormat("kind", KindText((uint)expectedKind), KindText(kind));
        }

        uint headerSize = *(uint*)(header + HeaderSizeOffset);
        if (headerSize != HeaderSizeBytes)
        {
            ChannelThrowHelper.ThrowFormat("headerSize", Text(HeaderSizeBytes), Text(headerSize));
        }

        uint capacity = *(uint*)(header + CapacityOffset);
        bool bytes = expectedKind != ChannelKind.Descriptors;
        if (bytes && (capacity < CapacityBytesMin || capacity > CapacityBytesMax || (capacity & (capacity - 1)) != 0))
        {
            ChannelThrowHelper.ThrowFormat("dataCapacity", $"a power of two between {CapacityBytesMin} and {CapacityBytesMax}", Text(capacity));
        }

        if (!bytes && (capacity == 0 || capacity > CapacityBytesMax))
        {
            ChannelThrowHelper.ThrowFormat("dataCapacity", $"between 1 and {CapacityBytesMax}", Text(capacity));
        }

        if (HeaderSizeBytes + (long)capacity > availableBytes)
        {
            ChannelThrowHelper.ThrowFormat("dataCapacity", $"at most {availableBytes - HeaderSizeBytes} (what the region holds after the header)", Text(capacity));
        }

        uint second = *(uint*)(header + MessageLengthMaxOffset);
        uint producerSlots = *(uint*)(header + ProducerSlotCountOffset);
        uint slotCount = *(uint*)(header + SlotCountOffset);
        if (expectedKind == ChannelKind.Descriptors)
        {
            if (second != (uint)expectedSlotSize)
            {
                ChannelThrowHelper.ThrowFormat("slotSize", Text(expectedSlotSize), Text(second));
            }

            if (slotCount < 2 || (slotCount & (slotCount - 1)) != 0 || (ulong)slotCount * second != capacity)
            {
                ChannelThrowHelper.ThrowFormat("slotCount", $"a power of two with slotCount * slotSize = dataCapacity ({capacity})", Text(slotCount));
            }
        }
        else if (second != (uint)MessageLengthMax((int)capacity))
        {
            ChannelThrowHelper.ThrowFormat("messageLengthMax", Text(MessageLengthMax((int)capacity)), Text(second));
        }

        uint expectedProducers = expectedKind == ChannelKind.MpscBytes ? (uint)ProducerSlotsMax : 1;
        if (producerSlots == 0 || producerSlots > expectedProducers)
        {
            ChannelThrowHelper.ThrowFormat("producerSlotCount", $"between 1 and {expectedProducers}", Text(producerSlots));
        }

        return ((int)capacity, (int)second, (int)producerSlots, (int)slotCount);
    }

    internal static string KindText(uint kind) => kind switch
    {
        (uint)ChannelKind.SpscBytes => "1 (SPSC byte ring)",
        (uint)ChannelKind.MpscBytes => "2 (MPSC byte ring)",
        (uint)ChannelKind.Descriptors => "3 (descriptor ring)",
        _ => Text(kind) + " (unknown)",
    };

    private static unsafe void NativeClear(byte* start, long length) => System.Runtime.InteropServices.NativeMemory.Clear(start, (nuint)length);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
