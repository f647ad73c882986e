using Microsoft.Extensions.Logging;

namespace EdgeOS.Fwp.Internal;

/// <summary>The runtime's log messages (source-generated).</summary>
internal static partial class FwpLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "FWP {Id} of tenant '{Tenant}' (template '{Template}') faulted ({Reason}); it is ended")]
    public static partial void Faulted(ILogger logger, long id, string tenant, string template, FwpEndReason reason, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "FWP {Id} of tenant '{Tenant}' (template '{Template}') faulted ({Reason}); restarted from the template (restart {Restart} of {RestartsMax})")]
    public static partial void Restarted(ILogger logger, long id, string tenant, string template, FwpEndReason reason, int restart, int restartsMax, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "FWP runtime '{Name}' started with {Workers} worker(s)")]
    public static partial void Started(ILogger logger, string name, int workers);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "FWP runtime '{Name}' stopped ({Mode}): {Ended} instance(s) ended, {Dropped} message(s) dropped")]
    public static partial void Stopped(ILogger logger, string name, FwpShutdownMode mode, long ended, long dropped);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "The OnEnded callback of FWP runtime '{Name}' threw; ignored")]
    public static partial void CallbackFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Tenant '{Tenant}' is over its CPU budget; FWP {Id} deferred to the next period")]
    public static partial void Deferred(ILogger logger, string tenant, long id);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "FWP {Id} of tenant '{Tenant}' is over its own CPU budget; deferred to the next period")]
    public static partial void InstanceDeferred(ILogger logger, long id, string tenant);
}
