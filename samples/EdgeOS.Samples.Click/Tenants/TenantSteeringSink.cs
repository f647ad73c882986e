using EdgeOS.Net.Steering;

namespace EdgeOS.Samples.Click.Tenants;

/// <summary>
/// How <see cref="TenantHost.Poll"/> takes steered frames: inline on the host's thread, each frame copied into its
/// tenant's pending batch (consumer i is tenant i), with no descriptor ring in between. A struct, so the steering
/// calls it directly.
/// </summary>
internal readonly struct TenantSteeringSink(TenantHost host) : ISteeringSink
{
    public void Deliver(int consumer, ReadOnlySpan<byte> frame, uint flowHash) => host.DeliverFrame(consumer, frame);
}
