using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EdgeOS.Samples.Memcached.Protocol;

namespace EdgeOS.Samples.Memcached.Hosting;

/// <summary>
/// A tenant's UDP endpoint: each datagram is an 8-byte frame header (request id, sequence, total, reserved; big
/// endian) and one request; each response object (one per command, one per key of a multi-get, as in memcached 1.6)
/// is cut into datagrams of at most 1400 bytes, each with the request id, its sequence number and the total.
/// </summary>
internal sealed class UdpServer : IAsyncDisposable
{
    public const int FrameHeaderBytes = 8;
    public const int DatagramBytesMax = 1400;

    private readonly Tenant _tenant;
    private readonly ChannelTable _channels;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public UdpServer(Tenant tenant, IPAddress address, ChannelTable channels)
    {
        _tenant = tenant;
        _channels = channels;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, tenant.UdpPort));
        VerboseLog.Listening(tenant.Context, (int)_socket.SafeHandle.DangerousGetHandle(), "udp");
    }

    public void Start() => _loop = ReceiveLoopAsync();

    private async Task ReceiveLoopAsync()
    {
        ServerContext context = _tenant.Context;
        int descriptor = (int)_socket.SafeHandle.DangerousGetHandle();
        ProtocolSession session = new(context) { Descriptor = descriptor };
        byte[] receive = new byte[65536];
        ArrayBufferWriter<byte> response = new(16384);
        List<int> boundaries = [];
        session.Boundaries = boundaries;
        session.BoundaryWriter = response;
        TenantChannel channel = new(_tenant, session, response, descriptor, resetAfterEach: true);
        _channels.Add(channel);
        byte[] datagram = new byte[DatagramBytesMax];
        EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(receive, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }

            if (r.ReceivedBytes < FrameHeaderBytes)
            {
                continue;
            }

            ushort requestId = BinaryPrimitives.ReadUInt16BigEndian(receive);
            response.ResetWrittenCount();
            boundaries.Clear();
            if (receive[4] != 0 || receive[5] != 1)
            {
                response.Write("SERVER_ERROR multi-packet request not supported\r\n"u8);
            }
            else
            {
                // The tenant's FWP runs the datagram's requests and resets the session (a datagram stands alone).
                channel.Input = new ReadOnlySequence<byte>(receive, FrameHeaderBytes, r.ReceivedBytes - FrameHeaderBytes);
                try
                {
                    await channel.RunAsync(ChannelOp.Process).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The handler failed: the tenant's FWP restarts; this datagram gets no answer, the next ones do.
                    continue;
                }

                channel.Input = default;
            }

            Interlocked.Add(ref context.BytesRead, r.ReceivedBytes);
            boundaries.Add(response.WrittenCount);
            int start = 0;
            foreach (int end in boundaries)
            {
                await SendAsync(requestId, response.WrittenMemory[start..end], datagram, r.RemoteEndPoint).ConfigureAwait(false);
                start = Math.Max(start, end);
            }
        }

        _channels.Remove(channel);
    }

    private async Task SendAsync(ushort requestId, ReadOnlyMemory<byte> payload, byte[] datagram, EndPoint to)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        const int chunk = DatagramBytesMax - FrameHeaderBytes;
        int total = (payload.Length + chunk - 1) / chunk;
        if (total > ushort.MaxValue)
        {
            return;
        }

        for (int seq = 0; seq < total; seq++)
        {
            ReadOnlyMemory<byte> part = payload.Slice(seq * chunk, Math.Min(chunk, payload.Length - (seq * chunk)));
            BinaryPrimitives.WriteUInt16BigEndian(datagram, requestId);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)seq);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(6), 0);
            part.Span.CopyTo(datagram.AsSpan(FrameHeaderBytes));
            try
            {
                await _socket.SendToAsync(datagram.AsMemory(0, FrameHeaderBytes + part.Length), SocketFlags.None, to, _stop.Token).ConfigureAwait(false);
                Interlocked.Add(ref _tenant.Context.BytesWritten, FrameHeaderBytes + part.Length);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
