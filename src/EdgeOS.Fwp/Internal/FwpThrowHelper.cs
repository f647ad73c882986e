using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using EdgeOS.Core.Capabilities;

namespace EdgeOS.Fwp.Internal;

/// <summary>Throw helpers for the featherweight-process area, so hot methods stay small.</summary>
internal static class FwpThrowHelper
{
    [DoesNotReturn]
    internal static void ThrowInboxSize(int value) =>
        throw new ArgumentOutOfRangeException("options.InboxSizeBytes", value, string.Create(
            CultureInfo.InvariantCulture,
            $"The inbox size must be a power of two from {FwpTemplateOptions.InboxSizeBytesMin} to {FwpTemplateOptions.InboxSizeBytesMax} bytes; got {value}."));

    [DoesNotReturn]
    internal static void ThrowTemplateFrozen() =>
        throw new InvalidOperationException("The template is frozen: capabilities can only be granted during its start-up.");

    [DoesNotReturn]
    internal static void ThrowTenantRevoked(string tenant) =>
        throw new StaleCapabilityException($"Tenant '{tenant}' was revoked: its capabilities and those of its instances are gone.");

    [DoesNotReturn]
    internal static void ThrowForeignCapability(FwpCapability capability, string template) =>
        throw new ArgumentException($"{capability} is not a capability of template '{template}' (null, or from another template).", nameof(capability));

    [DoesNotReturn]
    internal static void ThrowMessageTooLarge(int length, int max) =>
        throw new ArgumentException(string.Create(
            CultureInfo.InvariantCulture,
            $"The message is {length} bytes; this instance's inbox takes at most {max} bytes per message (an eighth of its size minus 8)."),
            "message");

    [DoesNotReturn]
    internal static void ThrowNotRunning(string what) =>
        throw new InvalidOperationException($"The runtime is stopping or stopped: cannot {what}.");

    [DoesNotReturn]
    internal static void ThrowTemplateBoundElsewhere(string template) =>
        throw new InvalidOperationException($"Template '{template}' is already used by another runtime; create one template per runtime.");

    [DoesNotReturn]
    internal static void ThrowForeignTenant(string tenant) =>
        throw new ArgumentException($"Tenant '{tenant}' belongs to another runtime.", "tenant");

    [DoesNotReturn]
    internal static void ThrowSpawnRevoked(string tenant) =>
        throw new InvalidOperationException($"Tenant '{tenant}' was revoked: no instance can be spawned for it.");

    [DoesNotReturn]
    internal static void ThrowNotManual() =>
        throw new InvalidOperationException("RunUntilIdle is for manual runtimes (WorkerCount = 0); this runtime has worker threads.");
}
