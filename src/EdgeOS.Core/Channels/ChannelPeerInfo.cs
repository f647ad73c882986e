namespace EdgeOS.Core.Channels;

/// <summary>A snapshot of one identity line of a ring header (the consumer's, or one producer slot).</summary>
/// <param name="Status">The peer's status, checked against the operating system when the snapshot was taken.</param>
/// <param name="ProcessId">The peer's process id (0 when none was recorded).</param>
/// <param name="ProcessStartTime">The peer process's start time in clock ticks since boot (Linux <c>/proc/&lt;pid&gt;/stat</c> field 22; 0 elsewhere).</param>
/// <param name="Epoch">The attach number the peer got (distinguishes two attachments of one process).</param>
/// <param name="HeartbeatAge">How long ago the peer last wrote its heartbeat (<see cref="TimeSpan.Zero"/> when it never did).</param>
public readonly record struct ChannelPeerInfo(ChannelPeerStatus Status, int ProcessId, ulong ProcessStartTime, long Epoch, TimeSpan HeartbeatAge);
