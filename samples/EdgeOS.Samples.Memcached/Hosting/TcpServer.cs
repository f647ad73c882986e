using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using EdgeOS.Samples.Memcached.Protocol;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// A tenant's TCP endpoint: accepts connections up to the tenant's limit and runs each over System.IO.Pipelines.
/// Each read is handed to the tenant's FWP (<see cref="TenantChannel"/>), which parses the requests straight from the
/// pipe's buffers and writes the responses into the pipe's writer, in order; this side only reads, flushes and waits.
/// </summary>
internal sealed class TcpServer : IAsyncDisposable
{
    private static readonly byte[] s_tooMany = "ERROR Too many open connections\r\n"u8.ToArray();

    private readonly Tenant _tenant;
    private readonly ChannelTable _channels;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Socket> _open = [];
    private readonly List<Task> _connections = [];
    private Task? _acceptLoop;

    public TcpServer(Tenant tenant, IPAddress address, ChannelTable channels)
    {
        _tenant = tenant;
        _channels = channels;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(address, tenant.TcpPort));
        _listener.Listen(1024);
        VerboseLog.Listening(tenant.Context, (int)_listener.SafeHandle.DangerousGetHandle(), "auto-negotiate");
    }

    public void Start() => _acceptLoop = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        ServerContext context = _tenant.Context;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            // memcached's maxconns_fast: a connection over the limit gets one error line and is closed.
            if (Interlocked.Increment(ref context.CurrConnections) > context.MaxConnections)
            {
                Interlocked.Decrement(ref context.CurrConnections);
                Interlocked.Increment(ref context.RejectedConnections);
                if (context.Verbosity > 0)
                {
                    VerboseLog.Line("Too many open connections");
                }

                try
                {
                    socket.Send(s_tooMany);
                }
                catch (SocketException)
                {
                }

                socket.Dispose();
                continue;
            }

            Interlocked.Increment(ref context.TotalConnections);
            socket.NoDelay = true;
            lock (_open)
            {
                _open.Add(socket);
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(RunConnectionAsync(socket));
            }
        }
    }

    private async Task RunConnectionAsync(Socket socket)
    {
        ServerContext context = _tenant.Context;
        int descriptor = (int)socket.SafeHandle.DangerousGetHandle();
        ProtocolSession session = new(context) { Descriptor = descriptor };
        await using NetworkStream stream = new(socket, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(BlockPool.Host, bufferSize: BlockPool.BlockSize, minimumReadSize: 4096));
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(BlockPool.Host, minimumBufferSize: BlockPool.BlockSize));
        TenantChannel channel = new(_tenant, session, writer, descriptor, resetAfterEach: false);
        _channels.Add(channel);
        VerboseLog.NewConnection(context, descriptor);
        bool started = false;
        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                channel.Input = read.Buffer;
                long before = read.Buffer.Length;

                // The tenant's FWP parses and answers on a runtime worker, writing into the pipe writer; this task
                // waits (no thread held) and then gives the consumed bytes back and flushes.
                started = true;
                SessionStatus status = await channel.RunAsync(ChannelOp.Process).ConfigureAwait(false);
                ReadOnlySequence<byte> rest = channel.Input;
                channel.Input = default;
                Interlocked.Add(ref context.BytesRead, before - rest.Length);
                Interlocked.Add(ref context.BytesWritten, writer.UnflushedBytes);
                reader.AdvanceTo(rest.Start, rest.End);
                FlushResult flushed = await writer.FlushAsync(_stop.Token).ConfigureAwait(false);
                if (status == SessionStatus.Close || read.IsCompleted || flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // A reset or closed connection ends this connection only.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The handler failed on this connection's request: its tenant's FWP restarts; the connection closes.
        }
        finally
        {
            if (started && session.HasPendingValue)
            {
                try
                {
                    await channel.RunAsync(ChannelOp.Abort).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The FWP faulted giving the item back: it restarts with an empty store, so nothing leaks.
                }
            }

            _channels.Remove(channel);
            VerboseLog.ConnectionClosed(context, descriptor);
            await reader.CompleteAsync().ConfigureAwait(false);
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }

            lock (_open)
            {
                _open.Remove(socket);
            }

            Interlocked.Decrement(ref context.CurrConnections);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        Task[] pending;
        lock (_open)
        {
            foreach (Socket s in _open)
            {
                s.Dispose();
            }

            pending = [.. _connections];
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
    }
}
