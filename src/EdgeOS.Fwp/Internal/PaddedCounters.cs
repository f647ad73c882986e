using System.Runtime.InteropServices;

namespace EdgeOS.Fwp.Internal;

/// <summary>
/// One counter alone on its cache line (64 bytes of padding on each side, whatever the field's alignment), so that a
/// thread incrementing it does not take the line away from threads writing neighbouring fields (false sharing).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedCounter
{
    [FieldOffset(64)]
    public long Value;
}

/// <summary>
/// The counters a worker bumps for every message and every ended instance, on their own cache lines: the spawning
/// and posting threads never write them, so a worker keeps them in its cache. The runtime's totals are sums over its
/// workers.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct WorkerCounters
{
    [FieldOffset(64)]
    public long Handled;

    [FieldOffset(72)]
    public long Ended;

    [FieldOffset(80)]
    public long Dropped;

    [FieldOffset(88)]
    public long Faults;

    [FieldOffset(96)]
    public long Deferrals;
}
