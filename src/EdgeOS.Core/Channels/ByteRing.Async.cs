using EdgeOS.Core.Channels.Internal;

namespace EdgeOS.Core.Channels;

// The async wait lives in a part of ByteRing that is not an unsafe context (await is not allowed in one).
public abstract partial class ByteRing
{
    private async ValueTask<bool> WaitToReadSlowAsync(CancellationToken cancellationToken)
    {
        long lastCheck = PeerLiveness.NowNanoseconds();
        for (int attempt = 0; ; attempt++)
        {
            if (attempt < 16)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (IsReadableNow())
            {
                return true;
            }

            long now = PeerLiveness.NowNanoseconds();
            if (now - lastCheck >= Control.LivenessIntervalNanoseconds)
            {
                lastCheck = now;
                Control.Heartbeat();
                if (IsReadableThorough())
                {
                    return true;
                }

                if (((IChannelWaitTarget)this).IsDrained() && !Control.CheckProducersForConsumer())
                {
                    return false;
                }
            }
        }
    }
}
