using System.Diagnostics.Metrics;
using EdgeOS.Fwp.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeOS.Fwp;

/// <summary>Registers the featherweight-process runtime with dependency injection and the generic host.</summary>
public static class FwpServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="FwpRuntime"/> configured from <see cref="FwpRuntimeOptions"/> (logging through
    /// <see cref="ILogger{TCategoryName}"/> and metrics through <see cref="IMeterFactory"/> when registered), and a hosted
    /// service that starts its workers with the host and stops it (draining or dropping inboxes as configured, within
    /// the host's shutdown timeout) when the host stops. Idempotent.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <see langword="null"/> for the defaults (or options bound elsewhere).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddFwpRuntime(this IServiceCollection services, Action<FwpRuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<FwpRuntimeOptions> options = services.AddOptions<FwpRuntimeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(provider => new FwpRuntime(
            provider.GetRequiredService<IOptions<FwpRuntimeOptions>>().Value,
            provider.GetService<ILogger<FwpRuntime>>(),
            provider.GetService<IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FwpHostedService>(
            provider => new FwpHostedService(provider.GetRequiredService<FwpRuntime>())));
        return services;
    }
}
