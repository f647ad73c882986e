namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// The native bookkeeping of a <see cref="CowView"/> that is not needed until the view first takes native memory,
/// and the safety net for it: if the view is leaked (never disposed nor returned), this finalizer frees its private
/// chunks, leaves, directory and mapping, gives back its account charge and its image reference.
/// </summary>
/// <remarks>
/// The view itself is not finalizable, because registering a finalizer costs more than the rest of creating a view,
/// and it stays small because these fields live here. A view creates this object when it first takes native memory
/// (the first write of a managed view, which has a microsecond budget; the mapping of a kernel view, which costs a
/// system call anyway), keeps it while pooled, and suppresses its finalizer when it frees that memory. The view and
/// this object reference each other, so they become unreachable together; the view has no finalizer, so its fields
/// are intact when this one runs. Only the owning view touches the fields (views are single-threaded).
/// </remarks>
internal sealed unsafe class CowViewNative
{
    private readonly CowView _view;

    internal CowViewNative(CowView view) => _view = view;

    ~CowViewNative()
    {
        _view.ReclaimLeaked();
    }

    // The chunks written since the last reset (their indexes), which is what the view's reset and dispose free.
    internal int* _dirty;

    internal int _dirtyCapacity;

    // The first chunk made private since the last reset, with its leaf and its copy, so that resetting a view that
    // wrote one chunk (the common case of a recycled instance) reads neither the dirty list nor the directory.
    internal int _firstDirtyChunk;

    internal nint* _firstDirtyLeaf;

    internal byte* _firstDirtyCopy;

    // Blocks a reset kept for the next first write (uncharged, like the image's free lists; see CowView.Reset).
    internal byte* _spareChunk;

    internal nint* _spareLeaf;

    // Kernel views: the private mapping (kept while pooled).
    internal nint _mapping;
}
