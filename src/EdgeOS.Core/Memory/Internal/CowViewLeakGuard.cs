namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// The safety net of a <see cref="CowView"/> that holds native memory: if the view is leaked (never disposed nor
/// returned), this finalizer frees its private chunks, leaves, directory and mapping, gives back its account charge
/// and its image reference.
/// </summary>
/// <remarks>
/// The view itself is not finalizable, because registering a finalizer costs more than the rest of creating a view.
/// A view creates its guard when it first takes native memory (the first write of a managed view, which has a
/// microsecond budget; the mapping of a kernel view, which costs a system call anyway), and suppresses it when it
/// frees that memory. The view and its guard reference each other, so they become unreachable together; the view
/// has no finalizer, so its fields are intact when this one runs.
/// </remarks>
internal sealed class CowViewLeakGuard
{
    private readonly CowView _view;

    internal CowViewLeakGuard(CowView view) => _view = view;

    ~CowViewLeakGuard()
    {
        _view.ReclaimLeaked();
    }
}
