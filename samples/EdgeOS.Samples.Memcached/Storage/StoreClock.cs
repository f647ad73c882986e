namespace EdgeOS.Samples.Memcached.Storage;

/// <summary>The wall clock a store reads, in whole Unix seconds (memcached's time has one-second resolution).</summary>
/// <remarks>Injectable so tests can move time forward without sleeping.</remarks>
internal abstract class StoreClock
{
    /// <summary>Seconds since 1970-01-01 UTC.</summary>
    public abstract long UnixSeconds { get; }

    /// <summary>The system clock.</summary>
    public static StoreClock System { get; } = new SystemStoreClock();

    private sealed class SystemStoreClock : StoreClock
    {
        public override long UnixSeconds => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }
}

/// <summary>A clock that moves only when told to (tests).</summary>
internal sealed class ManualStoreClock(long unixSeconds) : StoreClock
{
    private long _unixSeconds = unixSeconds;

    public override long UnixSeconds => Volatile.Read(ref _unixSeconds);

    public void Advance(long seconds) => Interlocked.Add(ref _unixSeconds, seconds);
}
