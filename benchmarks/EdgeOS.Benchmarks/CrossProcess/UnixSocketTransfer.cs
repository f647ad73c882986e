using System.Net.Sockets;

namespace EdgeOS.Benchmarks.CrossProcess;

/// <summary>
/// The operating system's alternative for moving messages between two processes: a connected pair of Unix domain
/// stream sockets. The child connects and sends; the parent receives. Two sender styles are measured: one
/// <c>send</c> per message (what a ring's commit per message corresponds to) and messages packed into 64 KiB
/// writes (the best a byte stream can do when the sender batches).
/// </summary>
internal static class UnixSocketTransfer
{
    private const int BatchBytes = 64 * 1024;

    /// <summary>Child side: connects to <paramref name="path"/> and sends <paramref name="count"/> messages.</summary>
    public static void Send(string path, long count, int sizeBytes, bool batched)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        byte[] message = new byte[sizeBytes];
        if (!batched)
        {
            for (long i = 0; i < count; i++)
            {
                BitConverter.TryWriteBytes(message, i);
                SendAll(socket, message);
            }

            return;
        }

        int perBatch = Math.Max(1, BatchBytes / sizeBytes);
        byte[] batch = new byte[perBatch * sizeBytes];
        long sent = 0;
        while (sent < count)
        {
            int n = (int)Math.Min(perBatch, count - sent);
            for (int j = 0; j < n; j++)
            {
                BitConverter.TryWriteBytes(batch.AsSpan(j * sizeBytes), sent + j);
            }

            SendAll(socket, batch.AsSpan(0, n * sizeBytes));
            sent += n;
        }
    }

    /// <summary>
    /// Parent side: accepts one connection on <paramref name="listener"/> and receives <paramref name="count"/>
    /// messages, checking each message's sequence number. Returns the seconds from the first byte to the last.
    /// </summary>
    public static double Receive(Socket listener, long count, int sizeBytes)
    {
        using Socket connection = listener.Accept();
        byte[] buffer = new byte[256 * 1024];
        long expectedBytes = count * sizeBytes;
        long received = 0;
        long started = 0;
        int carry = 0;
        long nextSequence = 0;
        while (received < expectedBytes)
        {
            int n = connection.Receive(buffer, carry, buffer.Length - carry, SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException($"The sender closed the socket after {received} of {expectedBytes} bytes.");
            }

            if (started == 0)
            {
                started = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            received += n;
            int available = carry + n;
            int whole = available / sizeBytes * sizeBytes;
            for (int offset = 0; offset < whole; offset += sizeBytes)
            {
                long sequence = sizeBytes >= 8 ? BitConverter.ToInt64(buffer, offset) : nextSequence;
                if (sequence != nextSequence)
                {
                    throw new InvalidOperationException($"Expected message {nextSequence}, received {sequence}.");
                }

                nextSequence++;
            }

            carry = available - whole;
            Buffer.BlockCopy(buffer, whole, buffer, 0, carry);
        }

        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = socket.Send(data);
            data = data[n..];
        }
    }
}
