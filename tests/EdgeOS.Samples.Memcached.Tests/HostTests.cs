using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>The host as a process: tenancy, UDP framing, limits, bad input, shutdown.</summary>
[Collection("processes")]
public sealed class HostTests
{
    private static string Ask(int port, string request)
    {
        using Connection c = new(port);
        return Encoding.Latin1.GetString(c.Exchange(Encoding.Latin1.GetBytes(request)));
    }

    [Fact]
    public void TenantsHaveTheirOwnKeysFlushesAndStats()
    {
        using HostProcess host = new(tenants: 3, extra: "-m 8");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("STORED\r\n", Ask(host.PortBase + i, $"set same 0 0 1\r\n{i}\r\n"));
        }

        Assert.Equal("OK\r\n", Ask(host.PortBase + 1, "flush_all\r\n"));
        Assert.Equal("VALUE same 0 1\r\n0\r\nEND\r\n", Ask(host.PortBase, "get same\r\n"));
        Assert.Equal("END\r\n", Ask(host.PortBase + 1, "get same\r\n"));
        Assert.Equal("VALUE same 0 1\r\n2\r\nEND\r\n", Ask(host.PortBase + 2, "get same\r\n"));
        Assert.Contains("STAT curr_items 1\r\n", Ask(host.PortBase + 2, "stats\r\n"), StringComparison.Ordinal);
        Assert.Contains("STAT curr_items 0\r\n", Ask(host.PortBase + 1, "stats\r\n"), StringComparison.Ordinal);
        Assert.Contains($"STAT tcpport {host.PortBase + 2}\r\n", Ask(host.PortBase + 2, "stats settings\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void ThousandTenantsEachAnswerStayIsolatedAndShutDownOnInterrupt()
    {
        const int tenants = 1000;
        using HostProcess host = new(tenants, extra: "-m 1 -I 512k -t 2");

        // Every tenant is touched: a value of its own under the same key, read back.
        for (int i = 0; i < tenants; i++)
        {
            string value = i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"STORED\r\nVALUE k 0 4\r\n{value}\r\nEND\r\n", Ask(host.PortBase + i, $"set k 0 0 4\r\n{value}\r\nget k\r\n"));
        }

        // Flushing one tenant empties it and nobody else: its neighbours and the last tenant keep their value.
        Assert.Equal("OK\r\n", Ask(host.PortBase + 500, "flush_all\r\n"));
        Assert.Equal("END\r\n", Ask(host.PortBase + 500, "get k\r\n"));
        Assert.Equal("VALUE k 0 4\r\n0499\r\nEND\r\n", Ask(host.PortBase + 499, "get k\r\n"));
        Assert.Equal("VALUE k 0 4\r\n0501\r\nEND\r\n", Ask(host.PortBase + 501, "get k\r\n"));
        Assert.Equal("VALUE k 0 4\r\n0999\r\nEND\r\n", Ask(host.PortBase + 999, "get k\r\n"));
        Assert.Contains("STAT cmd_flush 1\r\n", Ask(host.PortBase + 500, "stats\r\n"), StringComparison.Ordinal);
        Assert.Contains("STAT cmd_flush 0\r\n", Ask(host.PortBase + 999, "stats\r\n"), StringComparison.Ordinal);

        Processes.Run("/bin/kill", $"-INT {host.Process.Id}");
        Assert.True(host.Process.WaitForExit(60_000), "the host did not exit after SIGINT");
        Assert.Equal(0, host.Process.ExitCode);
        Assert.Contains("shutting down", host.Process.StandardOutput.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void EvictionStaysInsideTheTenantsMemoryLimit()
    {
        using HostProcess host = new(tenants: 2, extra: "-m 2 -I 256k");
        string value = new('v', 1000);
        using Connection c = new(host.PortBase);
        StringBuilder batch = new();
        for (int i = 0; i < 5000; i++)
        {
            batch.Append(FormattableString.Invariant($"set key{i} 0 0 {value.Length} noreply\r\n{value}\r\n"));
        }

        c.Exchange(Encoding.Latin1.GetBytes(batch.ToString()));
        string stats = Ask(host.PortBase, "stats\r\n");
        Assert.DoesNotContain("STAT evictions 0\r\n", stats, StringComparison.Ordinal);
        Assert.Contains("VALUE key4999 ", Ask(host.PortBase, "get key4999\r\n"), StringComparison.Ordinal);
        Assert.Equal("END\r\n", Ask(host.PortBase, "get key0\r\n"));
        Assert.Contains("STAT evictions 0\r\n", Ask(host.PortBase + 1, "stats\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void UdpResponsesMatchRealMemcachedFramesIncludingMultiDatagramValues()
    {
        using MemcachedProcess real = new(udp: true);
        using HostProcess ours = new();
        string big = new('b', 5000);
        foreach (int port in new[] { real.Port, ours.PortBase })
        {
            Assert.Equal("STORED\r\nSTORED\r\n", Ask(port, $"set small 3 0 2\r\nhi\r\nset big 0 0 {big.Length}\r\n{big}\r\n"));
        }

        foreach (string request in new[] { "get small\r\n", "get big small nope\r\n", "bogus\r\n", "get nope\r\n" })
        {
            List<byte[]> expected = UdpExchange(real.Port, 0x1234, request);
            List<byte[]> actual = UdpExchange(ours.PortBase, 0x1234, request);
            // Datagram for datagram, headers included.
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(Convert.ToHexString(expected[i]), Convert.ToHexString(actual[i]));
                Assert.True(actual[i].Length <= 1400);
            }
        }
    }

    [Fact]
    public void UdpBurstsFromManyClientsAreAllAnsweredAndLeaveTheTenantsStateAndTcpAlone()
    {
        // Bursts fill the receive batches; each tenant runs one batch at a time, and a batch finishing while the next
        // is already posted must not disturb the tenant (it once faulted the FWP, emptying the cache and closing TCP).
        using HostProcess host = new(tenants: 2, extra: "-t 2");
        using Connection tcp = new(host.PortBase);
        Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(tcp.Exchange("set k 0 0 5\r\nhello\r\n"u8.ToArray())));
        _ = UdpExchange(host.PortBase, 1, "version\r\n");
        const int clients = 8;
        const int perClient = 200;
        Socket[] sockets = new Socket[clients];
        try
        {
            for (int c = 0; c < clients; c++)
            {
                sockets[c] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000, ReceiveBufferSize = 1 << 20 };
                sockets[c].Connect(IPAddress.Loopback, host.PortBase + (c % 2));
            }

            int answered = 0;
            for (int round = 0; round < perClient / 20; round++)
            {
                for (int c = 0; c < clients; c++)
                {
                    for (int r = 0; r < 20; r++)
                    {
                        byte[] d = new byte[8 + 7];
                        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)((round * 20) + r));
                        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), 1);
                        "get k\r\n"u8.CopyTo(d.AsSpan(8));
                        sockets[c].Send(d);
                    }
                }

                byte[] buffer = new byte[2048];
                for (int c = 0; c < clients; c++)
                {
                    for (int r = 0; r < 20; r++)
                    {
                        int n = sockets[c].Receive(buffer);
                        string text = Encoding.Latin1.GetString(buffer, 8, n - 8);
                        Assert.Equal(c % 2 == 0 ? "VALUE k 0 5\r\nhello\r\nEND\r\n" : "END\r\n", text);
                        answered++;
                    }
                }
            }

            Assert.Equal(clients * perClient, answered);
        }
        finally
        {
            foreach (Socket? s in sockets)
            {
                s?.Dispose();
            }
        }

        // The TCP connection opened before the bursts is still served, by the same (never restarted) tenant.
        Assert.Equal("VALUE k 0 5\r\nhello\r\nEND\r\n", Encoding.Latin1.GetString(tcp.Exchange("get k\r\n"u8.ToArray())));
    }

    [Fact]
    public void UdpRefusesMultiPacketRequestsAndIgnoresShortDatagrams()
    {
        using HostProcess host = new();
        using Socket s = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        s.Connect(IPAddress.Loopback, host.PortBase);
        _ = UdpExchange(host.PortBase, 1, "version\r\n");
        s.Send(new byte[] { 0, 9, 0, 0, 0 }); // shorter than the frame header: no answer
        byte[] multi = new byte[8 + 7];
        BinaryPrimitives.WriteUInt16BigEndian(multi, 0x4242);
        BinaryPrimitives.WriteUInt16BigEndian(multi.AsSpan(4), 2);
        "get k\r\n"u8.CopyTo(multi.AsSpan(8));
        s.Send(multi);
        byte[] buffer = new byte[2048];
        int n = s.Receive(buffer);
        Assert.Equal("4242000000010000", Convert.ToHexString(buffer, 0, 8));
        Assert.Equal("SERVER_ERROR multi-packet request not supported\r\n", Encoding.Latin1.GetString(buffer, 8, n - 8));
    }

    private static List<byte[]> UdpExchange(int port, ushort requestId, string request)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return UdpExchangeOnce(port, requestId, request);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && attempt < 20)
            {
                Thread.Sleep(100); // the server's UDP socket is not bound yet
            }
        }
    }

    private static List<byte[]> UdpExchangeOnce(int port, ushort requestId, string request)
    {
        using Socket s = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        s.Connect(IPAddress.Loopback, port);
        byte[] payload = Encoding.Latin1.GetBytes(request);
        byte[] datagram = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, requestId);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), 1);
        payload.CopyTo(datagram, 8);
        s.Send(datagram);
        List<byte[]> got = [];
        byte[] buffer = new byte[65536];
        // Messages arrive one after another, each as its datagrams; the response ends with END or a single line.
        while (true)
        {
            int n = s.Receive(buffer);
            got.Add(buffer.AsSpan(0, n).ToArray());
            byte[] all = [.. got.SelectMany(d => d.Skip(8))];
            string text = Encoding.Latin1.GetString(all);
            if (text.EndsWith("END\r\n", StringComparison.Ordinal) || (text.EndsWith("\r\n", StringComparison.Ordinal) && !text.StartsWith("VALUE", StringComparison.Ordinal)))
            {
                return got;
            }
        }
    }

    [Fact]
    public void ConnectionsBeyondTheLimitGetAnErrorAndOthersKeepWorking()
    {
        using HostProcess host = new(extra: "-c 4");
        List<Connection> open = [];
        try
        {
            for (int i = 0; i < 4; i++)
            {
                open.Add(OpenAccepted(host.PortBase));
            }

            using Connection extra = new(host.PortBase);
            Assert.Equal("ERROR Too many open connections\r\n", Encoding.Latin1.GetString(extra.ReadToClose()));
            Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(open[0].Exchange("set x 0 0 1\r\nx\r\n"u8.ToArray())));
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }

        // Closed connections give their slots back.
        Thread.Sleep(200);
        Assert.Equal("VALUE x 0 1\r\nx\r\nEND\r\n", Ask(host.PortBase, "get x\r\n"));
    }

    // A connection the server accepted and answers. The slot of a connection that just closed (the harness's readiness
    // probe) is given back when the server has seen the close, so a new connection can still be refused for a moment:
    // such an attempt (error line, or a reset when the request crossed the close) is retried.
    private static Connection OpenAccepted(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var c = new Connection(port);
            try
            {
                if (Encoding.Latin1.GetString(c.Exchange("get x\r\n"u8.ToArray())) == "END\r\n")
                {
                    return c;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }

            c.Dispose();
            Assert.True(DateTime.UtcNow < deadline, "the server kept refusing a connection under its limit");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void ClientVanishingMidValueOrSendingGarbageDisturbsNobodyElse()
    {
        using HostProcess host = new(tenants: 2);
        using Connection steady = new(host.PortBase);
        Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(steady.Exchange("set k 0 0 5\r\nhello\r\n"u8.ToArray())));

        using (Connection vanishing = new(host.PortBase))
        {
            vanishing.Send("set k 0 0 100000\r\n" + new string('x', 50_000));
        }

        Random random = new(7);
        for (int i = 0; i < 20; i++)
        {
            using Connection garbage = new(host.PortBase);
            byte[] junk = new byte[random.Next(1, 10_000)];
            random.NextBytes(junk);
            garbage.Send(junk);
        }

        using (Connection huge = new(host.PortBase))
        {
            // memcached then discards the 2 GB it announced; so do we, so nothing else can be asked here.
            huge.Send("set k2 0 0 2000000000\r\n");
            Assert.Equal("SERVER_ERROR object too large for cache\r\n", Encoding.Latin1.GetString(huge.ReadUntilMarker("SERVER_ERROR object too large for cache\r\n"u8)) + "SERVER_ERROR object too large for cache\r\n");
        }

        Assert.Equal("VALUE k 0 5\r\nhello\r\nEND\r\n", Encoding.Latin1.GetString(steady.Exchange("get k\r\n"u8.ToArray())));
        Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(steady.Exchange("set k 0 0 2\r\nok\r\n"u8.ToArray())));
        Assert.Equal("END\r\n", Ask(host.PortBase + 1, "get k\r\n"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // started with SIGINT ignored, as a background job of a non-interactive shell: memcached still stops
    public void InterruptShutsTheHostDownCleanly(bool interruptIgnored)
    {
        using HostProcess host = new(tenants: 2, interruptIgnored: interruptIgnored);
        using (Connection c = new(host.PortBase))
        {
            Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(c.Exchange("set k 0 0 1\r\nx\r\n"u8.ToArray())));
            Processes.Run("/bin/kill", $"-INT {host.Process.Id}");
            Assert.True(host.Process.WaitForExit(20_000), "the host did not exit after SIGINT");
        }

        Assert.Equal(0, host.Process.ExitCode);
        Assert.Contains("shutting down", host.Process.StandardOutput.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void BadCommandLineIsRefusedWithUsage()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "EdgeOS.Samples.Memcached.dll");
        (int code, string output) = Processes.Run("dotnet", $"\"{dll}\" --tenants 0");
        Assert.Equal(2, code);
        Assert.Contains("usage:", output, StringComparison.Ordinal);
    }
}
