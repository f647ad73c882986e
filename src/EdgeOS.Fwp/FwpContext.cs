using System.Runtime.CompilerServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;
using EdgeOS.Fwp.Internal;

namespace EdgeOS.Fwp;

/// <summary>
/// What a handler may touch: its instance's private copy-on-write state, its own capabilities, its identity.
/// Valid only during the <see cref="IFwpProgram.Handle"/> call it was passed to.
/// </summary>
/// <remarks>
/// State access goes through the instance's <see cref="CowView"/>: reads see the template until the instance writes;
/// the first write access to a chunk copies it (about a microsecond) and charges it to the instance's account, so a
/// refused charge throws <see cref="MemoryQuotaExceededException"/>, which faults the instance (see
/// <see cref="IFwpProgram"/>).
/// </remarks>
public readonly ref struct FwpContext
{
    private readonly FwpInstance _instance;

    internal FwpContext(FwpInstance instance) => _instance = instance;

    /// <summary>The instance's id, unique in the process for its incarnation.</summary>
    public long Id => _instance.Id;

    /// <summary>The tenant the instance runs for.</summary>
    public FwpTenant Tenant => _instance.Tenant!;

    /// <summary>The size of the state region in bytes (the template's <see cref="FwpTemplateOptions.StateSizeBytes"/>).</summary>
    public long StateSizeBytes => _instance.View.Length;

    /// <summary>
    /// The instance's copy-on-write state view itself, for state code written against EdgeOS.Core's
    /// <see cref="CowView"/> (a data structure that takes a view and keeps it in a field between its own calls). It is
    /// the view the other state members use, with the same rules: use it only during this call and on this thread,
    /// never reset, dispose or return it (the runtime does that when the incarnation ends), and let go of it before
    /// returning.
    /// </summary>
    public CowView StateView => _instance.View;

    /// <summary>The instance's own capability table, for capabilities it receives or makes at run time.</summary>
    public CapabilityTable Capabilities => _instance.Table;

    /// <summary>How many times the instance was restarted from the template after a fault (see <see cref="FwpTemplateOptions.RestartsMax"/>).</summary>
    public int RestartCount => _instance.RestartCount;

    /// <summary>
    /// A writable reference to a <typeparamref name="T"/> at <paramref name="offset"/> of the state (0: the start,
    /// where most programs keep their root struct). The first write access to its chunk copies the chunk.
    /// </summary>
    /// <typeparam name="T">An unmanaged struct that fits in one chunk.</typeparam>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <returns>A reference valid during this call.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The struct does not fit in the state at that offset.</exception>
    /// <exception cref="ArgumentException">It crosses a chunk boundary.</exception>
    /// <exception cref="MemoryQuotaExceededException">The copy would exceed the instance's or tenant's quota.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T State<T>(long offset = 0)
        where T : unmanaged => ref _instance.View.GetRef<T>(offset);

    /// <summary>A read-only reference to a <typeparamref name="T"/> at <paramref name="offset"/>: never copies or charges.</summary>
    /// <typeparam name="T">An unmanaged struct that fits in one chunk.</typeparam>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <returns>A reference valid during this call.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The struct does not fit in the state at that offset.</exception>
    /// <exception cref="ArgumentException">It crosses a chunk boundary.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly T ReadState<T>(long offset = 0)
        where T : unmanaged => ref _instance.View.GetReadOnlyRef<T>(offset);

    /// <summary>A writable span of the state, no copy beyond the chunk's first copy.</summary>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <param name="length">The length, within one chunk.</param>
    /// <returns>A span valid during this call.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the state.</exception>
    /// <exception cref="ArgumentException">The range crosses a chunk boundary.</exception>
    /// <exception cref="MemoryQuotaExceededException">The copy would exceed the instance's or tenant's quota.</exception>
    public Span<byte> GetWritableSpan(long offset, int length) => _instance.View.GetWritableSpan(offset, length);

    /// <summary>A read-only span of the state: never copies or charges.</summary>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <param name="length">The length, within one chunk.</param>
    /// <returns>A span valid during this call.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the state.</exception>
    /// <exception cref="ArgumentException">The range crosses a chunk boundary.</exception>
    public ReadOnlySpan<byte> GetReadOnlySpan(long offset, int length) => _instance.View.GetReadOnlySpan(offset, length);

    /// <summary>Copies state bytes at <paramref name="offset"/> into <paramref name="destination"/> (may cross chunks).</summary>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <param name="destination">Where to copy; its length is the count.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the state.</exception>
    public void Read(long offset, Span<byte> destination) => _instance.View.Read(offset, destination);

    /// <summary>Copies <paramref name="source"/> into the state at <paramref name="offset"/> (may cross chunks; all or nothing on quota).</summary>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <param name="source">The bytes to write.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the state.</exception>
    /// <exception cref="MemoryQuotaExceededException">The copies would exceed the instance's or tenant's quota; nothing changed.</exception>
    public void Write(long offset, ReadOnlySpan<byte> source) => _instance.View.Write(offset, source);

    /// <summary>
    /// Resolves a capability the template granted, checking <paramref name="required"/>. The first use in an
    /// incarnation derives the instance's own capability from its tenant's (about 100-200 ns, one allocation); later
    /// uses cost a table lookup (a few nanoseconds).
    /// </summary>
    /// <typeparam name="T">The type the object is expected to be.</typeparam>
    /// <param name="capability">A capability of this instance's template.</param>
    /// <param name="required">The rights the use needs.</param>
    /// <returns>The object.</returns>
    /// <exception cref="ArgumentException"><paramref name="capability"/> is null or not of this template.</exception>
    /// <exception cref="StaleCapabilityException">The tenant (or the template's grant) was revoked.</exception>
    /// <exception cref="CapabilityRightsException">The grant lacks <paramref name="required"/>.</exception>
    /// <exception cref="CapabilityTypeMismatchException">The object is not a <typeparamref name="T"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Resolve<T>(FwpCapability capability, CapabilityRights required)
        where T : class => _instance.Table.Resolve<T>(_instance.GetCapabilityHandle(capability), required);

    /// <summary>Like <see cref="Resolve{T}"/> but reports a revoked, too weak or mistyped capability as a status.</summary>
    /// <typeparam name="T">The type the object is expected to be.</typeparam>
    /// <param name="capability">A capability of this instance's template.</param>
    /// <param name="required">The rights the use needs.</param>
    /// <param name="target">The object when the result is <see cref="CapabilityStatus.Ok"/>.</param>
    /// <returns><see cref="CapabilityStatus.Ok"/> or why the capability cannot be used.</returns>
    /// <exception cref="ArgumentException"><paramref name="capability"/> is null or not of this template.</exception>
    public CapabilityStatus TryResolve<T>(FwpCapability capability, CapabilityRights required, out T? target)
        where T : class
    {
        if (!_instance.TryGetCapabilityHandle(capability, out CapabilityHandle handle))
        {
            target = null;
            return CapabilityStatus.Stale;
        }

        return _instance.Table.TryResolve(handle, required, out target);
    }

    /// <summary>Ends the instance once this handler returns; messages still in its inbox are dropped (counted).</summary>
    public void Exit() => _instance.ExitAfterMessage = true;
}
