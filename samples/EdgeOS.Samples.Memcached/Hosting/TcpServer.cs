using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using EdgeOS.Samples.Memcached.Protocol;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// A tenant's TCP endpoint: accepts connections up to the tenant's limit and runs each over System.IO.Pipelines.
/// Requests are parsed straight from the pipe's buffers and responses written into the pipe's writer, in order.
/// </summary>
internal sealed class TcpServer : IAsyncDisposable
{
    private static readonly byte[] s_tooMany = "ERROR Too many open connections\r\n"u8.ToArray();

    private readonly Tenant _tenant;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Socket> _open = [];
    private readonly List<Task> _connections = [];
    private Task? _acceptLoop;

    public TcpServer(Tenant tenant, IPAddress address)
    {
        _tenant = tenant;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(address, tenant.TcpPort));
        _listener.Listen(1024);
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
        ProtocolSession session = new(context);
        await using NetworkStream stream = new(socket, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16384, minimumReadSize: 4096));
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16384));
        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                long before = buffer.Length;
                SessionStatus status;
                lock (context.Gate)
                {
                    status = session.Process(ref buffer, writer);
                }

                Interlocked.Add(ref context.BytesRead, before - buffer.Length);
                Interlocked.Add(ref context.BytesWritten, writer.UnflushedBytes);
                reader.AdvanceTo(buffer.Start, buffer.End);
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
        finally
        {
            lock (context.Gate)
            {
                session.Abort();
            }

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
