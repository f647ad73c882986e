using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>Throw helpers for the channels area, so that hot methods stay small and inlinable.</summary>
internal static class ChannelThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowFormat(string field, string expected, string actual) =>
        throw new ChannelFormatException(
            string.Create(CultureInfo.InvariantCulture, $"The memory does not hold a valid channel: header field '{field}' expected {expected}, found {actual}. Nothing was written."),
            field,
            -1);

    [DoesNotReturn]
    internal static void ThrowCorruptRecord(string name, long dataOffset, int length, int type, string reason) =>
        throw new ChannelFormatException(
            string.Create(CultureInfo.InvariantCulture, $"Channel '{name}' is corrupted: the record at data offset {dataOffset} has length field {length} (type {type}), {reason}. Records before it were delivered; nothing from it on is delivered."),
            "recordLength",
            dataOffset);

    [DoesNotReturn]
    internal static void ThrowMessageTooLarge(int length, int messageLengthMax) =>
        throw new ArgumentOutOfRangeException(
            "length",
            length,
            string.Create(CultureInfo.InvariantCulture, $"A message must be between 0 and {messageLengthMax} bytes (an eighth of the ring's capacity, minus the 8-byte record header); nothing was claimed."));

    [DoesNotReturn]
    internal static void ThrowNegativeType(int type) =>
        throw new ArgumentOutOfRangeException(
            "type",
            type,
            "A message type must be non-negative (negative types are reserved for padding and claims in progress).");

    [DoesNotReturn]
    internal static void ThrowCapacity(string paramName, long capacity, int min, int max) =>
        throw new ArgumentOutOfRangeException(
            paramName,
            capacity,
            string.Create(CultureInfo.InvariantCulture, $"The capacity must be a power of two between {min} and {max}."));

    [DoesNotReturn]
    internal static void ThrowRegionTooSmall(long offset, long required, long length) =>
        throw new ArgumentOutOfRangeException(
            "region",
            string.Create(CultureInfo.InvariantCulture, $"The ring needs {required} bytes at offset {offset} (header and data area) but the region has {length} bytes."));

    [DoesNotReturn]
    internal static void ThrowOffset(long offset) =>
        throw new ArgumentOutOfRangeException(
            nameof(offset),
            offset,
            "The ring offset must be a non-negative multiple of 128 (the header's line size).");

    [DoesNotReturn]
    internal static void ThrowNotEndpoint(string name, string endpoint) =>
        throw new InvalidOperationException($"Channel '{name}': this object was not created or attached as the {endpoint}.");

    [DoesNotReturn]
    internal static void ThrowEndpointTaken(string name, string endpoint, ChannelPeerInfo holder) =>
        throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"Channel '{name}' already has a live {endpoint} (pid {holder.ProcessId}, epoch {holder.Epoch}); nothing was changed."));

    [DoesNotReturn]
    internal static void ThrowPeerDead(string name, ChannelPeerRole role, int slot, ChannelPeerInfo peer, string waitingFor)
    {
        string who = role == ChannelPeerRole.Consumer
            ? "consumer"
            : string.Create(CultureInfo.InvariantCulture, $"producer (slot {slot})");
        string what = peer.Status == ChannelPeerStatus.Detached ? "detached" : "is dead";
        throw new ChannelPeerDeadException(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Channel '{name}': the {who} {what} (pid {peer.ProcessId}, start time {peer.ProcessStartTime}, epoch {peer.Epoch}, last heartbeat {peer.HeartbeatAge.TotalMilliseconds:F0} ms ago) while waiting for {waitingFor}."),
            role,
            peer);
    }

    [DoesNotReturn]
    internal static void ThrowNoProducerSlot(string name, int slots) =>
        throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"Channel '{name}' has all {slots} producer slots held by live producers; nothing was changed."));

    [DoesNotReturn]
    internal static void ThrowDestinationTooSmall(int needed, int available) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"The destination has {available} bytes but the next message needs {needed}; nothing was consumed."),
            "destination");

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);
}
