using System.Diagnostics;
using EdgeOS.Core.Memory.Internal;

namespace EdgeOS.Core.Memory;

/// <summary>
/// An owner of memory (a host, a tenant, a featherweight process) with a quota that is enforced, not advisory.
/// Every <see cref="MemoryRegion"/>, <see cref="SharedMemoryRegion"/>, <see cref="CowImage"/> and
/// <see cref="CowView"/> charges the bytes it holds to an account before it allocates them and releases them
/// when it frees them.
/// </summary>
/// <remarks>
/// <para>
/// Accounts form a tree: an account created with a parent (a tenant under a host) charges every ancestor too,
/// all or nothing: when any account on the path would exceed its quota, nothing is charged anywhere.
/// </para>
/// <para>
/// Thread-safety: every member may be called concurrently. Charges are lock-free compare-and-swap loops on one
/// 64-bit counter per account. While a charge that will fail is being rolled back, a concurrent observer can
/// briefly see it in a descendant's <see cref="UsedBytes"/> (and a concurrent charge against the same
/// ancestor may fail because of it); once the call returns, the failed charge is gone everywhere.
/// </para>
/// </remarks>
[DebuggerDisplay("{Name}: {UsedBytes} / {QuotaBytes} bytes")]
public sealed class MemoryAccount
{
    /// <summary>The value of <see cref="QuotaBytes"/> for an account without a quota.</summary>
    public const long UnlimitedQuotaBytes = long.MaxValue;

    /// <summary>Accounts may nest at most this deep (a host, tenants, their processes, ...).</summary>
    public const int DepthMax = 16;

    private static readonly MemoryAccount s_unlimited = new("process", UnlimitedQuotaBytes, parent: null);

    private readonly long _quotaBytes;
    private long _usedBytes;
    private long _peakBytes;

    /// <summary>Creates an account.</summary>
    /// <param name="name">A name for messages and diagnostics (for example the tenant id).</param>
    /// <param name="quotaBytes">The most bytes the account may hold at once; <see cref="UnlimitedQuotaBytes"/> for no quota.</param>
    /// <param name="parent">The account every charge to this one is also charged to, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quotaBytes"/> is negative.</exception>
    /// <exception cref="ArgumentException">The parent chain would be deeper than <see cref="DepthMax"/>.</exception>
    public MemoryAccount(string name, long quotaBytes = UnlimitedQuotaBytes, MemoryAccount? parent = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(quotaBytes);
        int depth = parent is null ? 0 : parent.Depth + 1;
        if (depth >= DepthMax)
        {
            MemoryThrowHelper.ThrowAccountTooDeep(name, DepthMax);
        }

        Name = name;
        _quotaBytes = quotaBytes;
        Parent = parent;
        Depth = depth;
    }

    /// <summary>
    /// The process-wide account without a quota, charged by every region, image and view created without an
    /// explicit account. It still counts: <see cref="UsedBytes"/> is the memory held by such objects.
    /// </summary>
    public static MemoryAccount Unlimited => s_unlimited;

    /// <summary>The account's name.</summary>
    public string Name { get; }

    /// <summary>The account every charge is also charged to, or <see langword="null"/> for a root account.</summary>
    public MemoryAccount? Parent { get; }

    /// <summary>The most bytes this account may hold at once (<see cref="UnlimitedQuotaBytes"/> when there is no quota).</summary>
    public long QuotaBytes => _quotaBytes;

    /// <summary>Whether the account has no quota of its own (an ancestor may still have one).</summary>
    public bool IsUnlimited => _quotaBytes == UnlimitedQuotaBytes;

    /// <summary>The bytes currently charged (a volatile read; it may change right after).</summary>
    public long UsedBytes => Volatile.Read(ref _usedBytes);

    /// <summary>The highest <see cref="UsedBytes"/> seen since the account was created.</summary>
    public long PeakBytes => Volatile.Read(ref _peakBytes);

    /// <summary>The bytes still available under this account's own quota (ancestors may allow less).</summary>
    public long AvailableBytes => _quotaBytes - UsedBytes;

    internal int Depth { get; }

    /// <summary>
    /// Charges <paramref name="bytes"/> to this account and every ancestor if all of them have room, else charges
    /// nothing. Costs one compare-and-swap per account on the path (a few nanoseconds uncontended).
    /// </summary>
    /// <returns><see langword="true"/> when charged; <see langword="false"/> when some quota would be exceeded.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    public bool TryCharge(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return TryChargeCore(bytes) is null;
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> to this account and every ancestor, or throws and charges nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="MemoryQuotaExceededException">
    /// This account or an ancestor would exceed its quota; the message names it, its quota, its use and the request.
    /// </exception>
    public void Charge(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        MemoryAccount? refused = TryChargeCore(bytes);
        if (refused is not null)
        {
            MemoryThrowHelper.ThrowQuotaExceeded(this, refused, bytes);
        }
    }

    /// <summary>Returns <paramref name="bytes"/> previously charged to this account (and its ancestors).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">
    /// More bytes would be released than are charged (a bookkeeping bug in the caller); nothing is released.
    /// </exception>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return;
        }

        // Release bottom-up. A child's use is always included in its parent's, so once this account accepted the
        // release every ancestor can too, unless someone released directly from an ancestor what a child charged.
        if (!TryReleaseSelf(bytes))
        {
            MemoryThrowHelper.ThrowOverRelease(this, bytes);
        }

        for (MemoryAccount? account = Parent; account is not null; account = account.Parent)
        {
            if (!account.TryReleaseSelf(bytes))
            {
                MemoryThrowHelper.ThrowOverRelease(account, bytes);
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsUnlimited ? $"{Name} ({UsedBytes} bytes, no quota)" : $"{Name} ({UsedBytes} of {QuotaBytes} bytes)";

    // Returns null when charged everywhere, else the account that refused (nothing is left charged).
    private MemoryAccount? TryChargeCore(long bytes)
    {
        if (bytes == 0)
        {
            return null;
        }

        // Charge bottom-up; peaks are only raised once the whole path accepted, so a refused charge never shows up
        // in any PeakBytes.
        Span<long> usedAfter = stackalloc long[DepthMax];
        int charged = 0;
        for (MemoryAccount? account = this; account is not null; account = account.Parent)
        {
            if (!account.TryChargeSelf(bytes, out usedAfter[charged]))
            {
                // Undo the accounts below the one that refused; each of them accepted exactly this charge.
                for (MemoryAccount? undo = this; undo != account; undo = undo!.Parent)
                {
                    undo!.ReleaseSelfUnchecked(bytes);
                }

                return account;
            }

            charged++;
        }

        int index = 0;
        for (MemoryAccount? account = this; account is not null; account = account.Parent)
        {
            account.UpdatePeak(usedAfter[index++]);
        }

        return null;
    }

    private bool TryChargeSelf(long bytes, out long usedAfter)
    {
        // CAS loop: the quota check and the increment are one atomic step, so concurrent charges can never
        // together exceed the quota. Overflow is impossible: used <= quota <= long.MaxValue and the check
        // compares against quota - used.
        long used = Volatile.Read(ref _usedBytes);
        while (true)
        {
            if (bytes > _quotaBytes - used)
            {
                usedAfter = used;
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _usedBytes, used + bytes, used);
            if (seen == used)
            {
                usedAfter = used + bytes;
                return true;
            }

            used = seen;
        }
    }

    private bool TryReleaseSelf(long bytes)
    {
        long used = Volatile.Read(ref _usedBytes);
        while (true)
        {
            if (bytes > used)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _usedBytes, used - bytes, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    private void ReleaseSelfUnchecked(long bytes) => Interlocked.Add(ref _usedBytes, -bytes);

    private void UpdatePeak(long candidate)
    {
        // The peak only grows; losing a race to a larger value is fine, to a smaller one we retry.
        long peak = Volatile.Read(ref _peakBytes);
        while (candidate > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakBytes, candidate, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }
}
