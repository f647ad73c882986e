namespace EdgeOS.Benchmarks.Channels;

/// <summary>
/// A dedicated thread that runs one piece of work per benchmark invocation (the other end of a two-thread
/// transfer). Starting and joining an invocation costs two semaphore signals, which is negligible next to the
/// million messages each invocation moves, and allocates nothing.
/// </summary>
internal sealed class PeerThread : IDisposable
{
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private readonly Thread _thread;
    private Action? _work;
    private Exception? _failure;
    private volatile bool _stopping;

    public PeerThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="work"/> on the peer thread (pass a cached delegate: no allocation).</summary>
    public void Start(Action work)
    {
        _work = work;
        _start.Release();
    }

    /// <summary>Waits for the work started last to finish and rethrows its failure, if any.</summary>
    public void Join()
    {
        _done.Wait();
        if (_failure is { } failure)
        {
            _failure = null;
            throw new InvalidOperationException("The peer thread failed.", failure);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.Release();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            try
            {
                _work!();
            }
            catch (Exception error)
            {
                _failure = error;
            }

            _done.Release();
        }
    }
}
