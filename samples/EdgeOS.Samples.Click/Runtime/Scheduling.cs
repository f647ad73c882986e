namespace EdgeOS.Samples.Click.Runtime;

/// <summary>A Click task: scheduled tasks run round-robin, each <see cref="Element.RunTask"/> call one slice.</summary>
internal sealed class ClickTask(Element owner)
{
    public Element Owner { get; } = owner;

    /// <summary>Whether the task is on the run list.</summary>
    public bool Scheduled { get; internal set; }

    internal Master? Master { get; set; }

    /// <summary>Puts the task on the run list (no effect if already there).</summary>
    public void Reschedule()
    {
        if (!Scheduled)
        {
            Scheduled = true;
            Master?.Enqueue(this);
        }
    }

    /// <summary>Takes the task off the run list.</summary>
    public void Unschedule() => Scheduled = false;

    /// <summary>Alias of <see cref="Reschedule"/> used for notifier wake-ups.</summary>
    public void FastReschedule() => Reschedule();
}

/// <summary>A Click timer: fires once at its expiry (driver time, real or simulated) and may be rescheduled.</summary>
internal sealed class ClickTimer(Element owner)
{
    public Element Owner { get; } = owner;

    /// <summary>Expiry in driver nanoseconds, or -1 when not scheduled.</summary>
    public long ExpiryNanoseconds { get; internal set; } = -1;

    internal Master? Master { get; set; }

    internal long Sequence { get; set; }

    public bool Scheduled => ExpiryNanoseconds >= 0;

    /// <summary>Schedules the timer at <paramref name="expiryNanoseconds"/>.</summary>
    public void ScheduleAt(long expiryNanoseconds)
    {
        ExpiryNanoseconds = expiryNanoseconds;
        Master?.AddTimer(this);
    }

    /// <summary>Schedules the timer <paramref name="delayNanoseconds"/> after now.</summary>
    public void ScheduleAfter(long delayNanoseconds) => ScheduleAt((Master?.NowNanoseconds ?? 0) + delayNanoseconds);

    /// <summary>Schedules the timer now (fires on the next timer check).</summary>
    public void ScheduleNow() => ScheduleAfter(0);

    /// <summary>Reschedules <paramref name="delayNanoseconds"/> after the previous expiry (drift-free periodic timers).</summary>
    public void RescheduleAfter(long delayNanoseconds) => ScheduleAt(ExpiryNanoseconds < 0 ? (Master?.NowNanoseconds ?? 0) + delayNanoseconds : ExpiryNanoseconds + delayNanoseconds);

    public void Unschedule() => ExpiryNanoseconds = -1;
}
