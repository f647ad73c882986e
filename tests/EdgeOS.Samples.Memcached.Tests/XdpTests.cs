using System.Diagnostics;
using EdgeOS.Net.Tests.Kernel;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>--xdp: the host's UDP over AF_XDP on one end of a veth pair, a client in a namespace on the other end.</summary>
[Collection("processes")]
public sealed class XdpTests
{
    private static readonly string s_dll = Path.Combine(AppContext.BaseDirectory, "EdgeOS.Samples.Memcached.dll");

    // Starts the host and waits for its "ready:" line (the ports are not on loopback, so they cannot be probed).
    private static Process StartReady(string arguments)
    {
        Process process = Processes.Start("dotnet", $"\"{s_dll}\" {arguments}");
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        while (line.Wait(TimeSpan.FromSeconds(30)) && line.Result is { } text)
        {
            if (text.StartsWith("ready:", StringComparison.Ordinal))
            {
                return process;
            }

            line = process.StandardOutput.ReadLineAsync();
        }

        string error = process.HasExited ? process.StandardError.ReadToEnd() : "(no ready line in 30 s)";
        Processes.Stop(process);
        Assert.Fail($"the host did not start with {arguments}: {error}");
        return process;
    }

    [Fact]
    public void UdpGoesOverXdpToTwoTenantsWhileArpPingAndTcpStayWithTheKernel()
    {
        using VethNamespace veth = VethNamespace.Create();
        int portBase = Processes.FreePorts(2);
        Process host = StartReady($"--tenants 2 --port-base {portBase} -l {veth.HostAddress} --xdp {veth.HostInterface}");
        try
        {
            // The client: memcached UDP frames to both tenants (set in one, then get in both: isolation), an ICMP echo
            // (the kernel answers: XDP passes it) and a TCP get (the kernel's TCP, the tenant's listener).
            string script = $$"""
import socket, struct, sys
server = '{{veth.HostAddress}}'
def udp(port, rid, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(struct.pack('>HHHH', rid, 0, 1, 0) + text, (server, port))
    data, source = s.recvfrom(65536)
    assert source == (server, port), source
    rid2, seq, total, zero = struct.unpack('>HHHH', data[:8])
    assert (rid2, seq, total, zero) == (rid, 0, 1, 0), (rid2, seq, total, zero)
    return data[8:]
print('A', udp({{portBase}}, 7, b'set k 0 0 5\r\nhello\r\n'))
print('B', udp({{portBase}}, 8, b'get k\r\n'))
print('C', udp({{portBase + 1}}, 9, b'get k\r\n'))
print('D', udp({{portBase + 1}}, 10, b'set k 0 0 3\r\nbye\r\n'))
print('E', udp({{portBase + 1}}, 11, b'get k\r\n'))
big = b'x' * 3000
# A request must fit one frame (IP fragments are not reassembled on the XDP path): the big value goes in over TCP.
t = socket.create_connection((server, {{portBase}}), timeout=5)
t.sendall(b'set big 0 0 3000\r\n' + big + b'\r\n')
print('F', t.recv(100))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(struct.pack('>HHHH', 13, 0, 1, 0) + b'get big\r\n', (server, {{portBase}}))
parts = {}
while True:
    data, _ = s.recvfrom(65536)
    rid, seq, total, _ = struct.unpack('>HHHH', data[:8])
    assert len(data) <= 1400
    parts[seq] = data[8:]
    if len(parts) == total: break
body = b''.join(parts[i] for i in range(total))
print('G', total, body == b'VALUE big 0 3000\r\n' + big + b'\r\nEND\r\n')
def checksum(b):
    if len(b) % 2: b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); icmp.settimeout(5)
packet = struct.pack('!BBHHH', 8, 0, 0, 0x4d43, 1) + b'edgeos'
packet = packet[:2] + struct.pack('!H', checksum(packet)) + packet[4:]
icmp.sendto(packet, (server, 0))
while True:
    data, source = icmp.recvfrom(1500)
    if data[20] == 0 and source[0] == server: break
print('H', 'pong')
t = socket.create_connection((server, {{portBase + 1}}), timeout=5)
t.sendall(b'get k\r\n')
reply = b''
while not reply.endswith(b'END\r\n'): reply += t.recv(4096)
print('I', reply)
""";
            (int exit, string output, string error) = veth.PythonInNamespace(script);
            Assert.True(exit == 0, $"client failed: {error}\n{output}");
            string[] expected =
            [
                "A b'STORED\\r\\n'",
                "B b'VALUE k 0 5\\r\\nhello\\r\\nEND\\r\\n'",
                "C b'END\\r\\n'",
                "D b'STORED\\r\\n'",
                "E b'VALUE k 0 3\\r\\nbye\\r\\nEND\\r\\n'",
                "F b'STORED\\r\\n'",
                "G 3 True",
                "H pong",
                "I b'VALUE k 0 3\\r\\nbye\\r\\nEND\\r\\n'",
            ];
            Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // The namespace learned the host's MAC by ARP, which the kernel answered (XDP passed it).
            (_, string neighbours, _) = veth.ExecInNamespace("ip", "neigh", "show", veth.HostAddress);
            Assert.Contains("lladdr", neighbours, StringComparison.Ordinal);
        }
        finally
        {
            Processes.Stop(host);
        }

        // The host detached its XDP program when it stopped.
        Assert.DoesNotContain(" xdp", veth.ShowHostLink(), StringComparison.Ordinal);
    }

    [Fact]
    public void XdpRefusesAListenAddressThatIsNotTheInterfaces()
    {
        using Process wrongAddress = Processes.Start("dotnet", $"\"{s_dll}\" --tenants 1 --port-base {Processes.FreePorts(1)} -l 10.255.255.254 --xdp lo");
        Assert.True(wrongAddress.WaitForExit(30_000));
        Assert.Equal(1, wrongAddress.ExitCode);
        Assert.Contains("error: --xdp lo: -l 10.255.255.254 is not an address of lo (it has: ", wrongAddress.StandardError.ReadToEnd(), StringComparison.Ordinal);

        using Process noInterface = Processes.Start("dotnet", $"\"{s_dll}\" --tenants 1 --port-base {Processes.FreePorts(1)} -l 10.255.255.254 --xdp eosnone0");
        Assert.True(noInterface.WaitForExit(30_000));
        Assert.Equal(1, noInterface.ExitCode);
        Assert.Contains("error: --xdp eosnone0: no such network interface", noInterface.StandardError.ReadToEnd(), StringComparison.Ordinal);

        using Process loopback = Processes.Start("dotnet", $"\"{s_dll}\" --tenants 1 --xdp lo");
        Assert.True(loopback.WaitForExit(30_000));
        Assert.Equal(2, loopback.ExitCode);
        Assert.Contains("--xdp needs UDP on (-U not 0) and -l set to the interface's own IPv4 address", loopback.StandardError.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void XdpWithoutPrivilegeNamesTheMissingCapability()
    {
        using VethNamespace veth = VethNamespace.Create();
        string? setpriv = VethNamespace.FindProgram("setpriv") ?? (File.Exists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : null);
        if (setpriv is null)
        {
            KernelTestEnvironment.Unavailable("setpriv (util-linux) is needed to drop root for this test");
        }

        // The host as nobody with no capabilities at all: the AF_XDP socket is refused, and the error says what is missing.
        string dotnet = VethNamespace.FindProgram("dotnet") ?? "/usr/bin/dotnet";
        using Process process = Processes.Start(
            setpriv,
            $"--reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \"{dotnet}\" \"{s_dll}\" --tenants 1 --port-base {Processes.FreePorts(1)} -l {veth.HostAddress} --xdp {veth.HostInterface}");
        Assert.True(process.WaitForExit(60_000));
        string error = process.StandardError.ReadToEnd();
        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"error: --xdp {veth.HostInterface}: the kernel refused AF_XDP for lack of CAP_", error, StringComparison.Ordinal);
    }
}
