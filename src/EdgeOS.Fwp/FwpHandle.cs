using EdgeOS.Fwp.Internal;

namespace EdgeOS.Fwp;

/// <summary>
/// Names one incarnation of a featherweight-process instance: what <see cref="FwpRuntime.Spawn"/> returns and what
/// messages are posted through. A struct (spawning allocates nothing); once the incarnation ends, every member
/// reports it ended, even after the instance object was recycled for another spawn.
/// </summary>
/// <remarks>
/// A handle is the host's authority over the instance (post, exit); it is not a capability an instance holds. To let
/// one instance send to another, grant it an object that wraps the handle.
/// </remarks>
public readonly struct FwpHandle : IEquatable<FwpHandle>
{
    private readonly FwpInstance? _instance;

    internal FwpHandle(FwpInstance instance, long id)
    {
        _instance = instance;
        Id = id;
    }

    /// <summary>The incarnation's id (0 for the default handle).</summary>
    public long Id { get; }

    /// <summary>Whether the incarnation has not ended. Cost: one load.</summary>
    public bool IsAlive => _instance is not null && _instance.Id == Id;

    /// <summary>
    /// The incarnation's state; <see cref="FwpState.Exited"/> once it ended, whatever the reason (the reason is
    /// reported through <see cref="FwpRuntimeOptions.OnEnded"/> and the metrics).
    /// </summary>
    public FwpState State
    {
        get
        {
            if (_instance is null)
            {
                return FwpState.Exited;
            }

            int state = _instance.StateValue;
            if (_instance.Id != Id)
            {
                return FwpState.Exited;
            }

            return state switch
            {
                FwpInstance.Blocked => FwpState.Blocked,
                FwpInstance.Ready => FwpState.Ready,
                FwpInstance.Running => FwpState.Running,
                FwpInstance.Faulted => FwpState.Faulted,
                _ => FwpState.Exited,
            };
        }
    }

    /// <summary>The tenant while the incarnation is alive; otherwise <see langword="null"/>.</summary>
    public FwpTenant? Tenant
    {
        get
        {
            FwpTenant? tenant = _instance?.Tenant;
            return IsAlive ? tenant : null;
        }
    }

    internal FwpInstance? Instance => _instance;

    /// <summary>
    /// Copies <paramref name="message"/> into the instance's inbox and wakes it if it was blocked. Any thread.
    /// Cost: a short lock, the copy, and a compare-and-swap (plus a worker wake-up if the worker sleeps). No allocation.
    /// </summary>
    /// <param name="message">The message, at most <see cref="FwpTemplate.MessageSizeBytesMax"/> bytes.</param>
    /// <returns>Whether the message was taken, or why not (nothing changed then).</returns>
    /// <exception cref="ArgumentException">The message is larger than the inbox accepts.</exception>
    public FwpPostStatus TryPost(ReadOnlySpan<byte> message)
    {
        FwpInstance? instance = _instance;
        if (instance is null)
        {
            return FwpPostStatus.Ended;
        }

        if (message.Length > instance.Inbox.MessageBytesMax)
        {
            FwpThrowHelper.ThrowMessageTooLarge(message.Length, instance.Inbox.MessageBytesMax);
        }

        FwpPostStatus status = instance.Inbox.TryWrite(Id, message);
        if (status == FwpPostStatus.Posted && instance.TryWake())
        {
            // The worker is read after winning the wake: it belongs to the incarnation that is now Ready.
            instance.Worker!.Enqueue(instance);
        }

        return status;
    }

    /// <summary>
    /// Asks the incarnation to end after the message it is handling (if any); messages still in its inbox are
    /// dropped. Returns at once; the instance ends on its worker. Any thread.
    /// </summary>
    /// <returns><see langword="false"/> if the incarnation had already ended.</returns>
    public bool Exit()
    {
        FwpInstance? instance = _instance;
        if (instance is null || instance.Id != Id)
        {
            return false;
        }

        instance.RequestExit(Id);
        if (instance.TryWake())
        {
            instance.Worker!.Enqueue(instance);
        }

        return instance.Id == Id;
    }

    /// <inheritdoc/>
    public bool Equals(FwpHandle other) => ReferenceEquals(_instance, other._instance) && Id == other.Id;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is FwpHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Id.GetHashCode();

    /// <summary>Whether two handles name the same incarnation.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(FwpHandle left, FwpHandle right) => left.Equals(right);

    /// <summary>Whether two handles name different incarnations.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(FwpHandle left, FwpHandle right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => "Fwp#" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
