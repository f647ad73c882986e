using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>-vv: the same conversation gives the same verbose lines on stderr as real memcached 1.6's.</summary>
[Collection("processes")]
public sealed partial class VerboseTests
{
    private static readonly byte[] s_binaryGetFoo =
    [
        0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (byte)'f', (byte)'o', (byte)'o',
    ];

    private static readonly byte[] s_binaryNoop = [0x80, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    [Fact]
    public void VeryVerboseOutputMatchesRealMemcachedLineForLine()
    {
        using MemcachedProcess real = new(extra: "-vv -t 1");
        using HostProcess ours = new(tenants: 1, extra: "-vv -t 1");
        List<string> expected = ByConnection(Converse(real.Port, real.Process));
        List<string> actual = ByConnection(Converse(ours.PortBase, ours.Process));
        Assert.Contains("<fd set foo 0 0 3", expected[0], StringComparison.Ordinal);
        Assert.Contains("<fd GET foo", expected[1], StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void WithoutVerbosityNothingIsLogged()
    {
        using HostProcess ours = new(tenants: 1, extra: "-t 1");
        using (Connection c = new(ours.PortBase))
        {
            Assert.Equal("STORED\r\n", Encoding.Latin1.GetString(c.Exchange("set foo 0 0 3\r\nbar\r\n"u8.ToArray())));
        }

        Processes.Run("/bin/kill", $"-INT {ours.Process.Id}");
        Assert.True(ours.Process.WaitForExit(20_000), "the host did not exit after SIGINT");
        Assert.Equal(string.Empty, ours.Process.StandardError.ReadToEnd());
    }

    // Text, noreply, hits and misses, an error, then a binary get; each connection closed and its "connection closed."
    // line awaited; the lines between the first connection's opening and the last close, with descriptors replaced.
    private static List<string> Converse(int port, Process process)
    {
        using (Connection c = new(port))
        {
            c.Exchange("set foo 0 0 3\r\nbar\r\nget foo nope foo\r\ngets nope\r\nset n 0 0 1 noreply\r\nx\r\nbogus\r\nincr foo 1\r\ndelete n\r\ntouch foo 10\r\nversion\r\n"u8.ToArray());
        }

        // The readiness probe and this connection: two opened and closed.
        List<string> lines = ReadUntilClosed(process, [], connections: 2);
        using (Connection c = new(port))
        {
            c.Send([.. s_binaryGetFoo, .. s_binaryNoop]);
            c.ReadUntilMarkerBinary([0x81, 0x0a]);
        }

        return ReadUntilClosed(process, lines, connections: 3);
    }

    // Connections are logged concurrently (a probe's close may come after the next accept): one text per connection,
    // in the order they opened, without the readiness probes that only opened and closed.
    private static List<string> ByConnection(List<string> lines)
    {
        List<List<string>> groups = [];
        Dictionary<string, List<string>> open = [];
        foreach (string line in lines)
        {
            Match m = Descriptor().Match(line);
            string fd = m.Groups["n"].Value;
            string normalized = Descriptor().Replace(line, "${d}fd");
            if (normalized == "<fd new auto-negotiating client connection")
            {
                open[fd] = [];
                groups.Add(open[fd]);
            }

            Assert.True(open.ContainsKey(fd), $"a line for a connection that was never opened: {line}");
            open[fd].Add(normalized);
        }

        return [.. groups.Where(g => g.Count > 2).Select(g => string.Join("\n", g))];
    }

    private static List<string> ReadUntilClosed(Process process, List<string> lines, int connections)
    {
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        while (true)
        {
            string? line = process.StandardError.ReadLineAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
            Assert.NotNull(line);
            if (line.StartsWith("slab class", StringComparison.Ordinal) || line.Contains("server listening", StringComparison.Ordinal) || line.Contains("send buffer was", StringComparison.Ordinal))
            {
                continue;
            }

            // The version string is a documented difference.
            lines.Add(line.Replace("VERSION 1.6.18-edgeos", "VERSION 1.6.18", StringComparison.Ordinal));
            if (line.EndsWith(" connection closed.", StringComparison.Ordinal) && lines.Count(l => l.EndsWith(" connection closed.", StringComparison.Ordinal)) >= connections)
            {
                return lines;
            }
        }
    }

    [GeneratedRegex(@"^(?<d>[<>]?)(?<n>\d+)")]
    private static partial Regex Descriptor();
}
