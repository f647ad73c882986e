using Microsoft.Extensions.Hosting;

namespace EdgeOS.Fwp.Internal;

/// <summary>Starts the runtime's workers with the host and stops the runtime with it.</summary>
internal sealed class FwpHostedService(FwpRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        runtime.Start();
        return Task.CompletedTask;
    }

    // The host's token fires when its shutdown timeout expires: the runtime then drops what it has not drained.
    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
