using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

/// <summary>Real clients against the host started as a process: pymemcache and libmemcached's tools.</summary>
[Collection("processes")]
public sealed class ClientTests
{
    private const string PyScript = """
import sys
from pymemcache.client.base import Client
c = Client(("127.0.0.1", int(sys.argv[1])), connect_timeout=5, timeout=5)
assert c.set("k", b"v1") is True
assert c.get("k") == b"v1"
assert c.add("k", b"x", noreply=False) is False
assert c.replace("k", b"v2", noreply=False) is True
assert c.append("k", b"!", noreply=False) is True
assert c.prepend("k", b"<", noreply=False) is True
assert c.get("k") == b"<v2!"
v, cas = c.gets("k")
assert c.cas("k", b"v3", cas, noreply=False) is True
assert c.cas("k", b"v4", cas, noreply=False) is False
assert c.set("n", b"10") is True
assert c.incr("n", 5) == 15
assert c.decr("n", 20) == 0
assert c.incr("missing", 1) is None
assert c.touch("n", 100, noreply=False) is True
assert c.get_many(["k", "n", "none"]) == {"k": b"v3", "n": b"0 "}
assert c.delete("k", noreply=False) is True
assert c.delete("k", noreply=False) is False
big = b"x" * 500000
assert c.set("big", big) is True
assert c.get("big") == big
try:
    c.set("huge", b"y" * 2000000, noreply=False)
    raise SystemExit("huge value accepted")
except Exception as e:
    assert "too large" in str(e), e
assert c.get("huge") is None
c.set_many({"a": b"1", "b": b"2"})
assert c.get_many(["a", "b"]) == {"a": b"1", "b": b"2"}
assert int(c.stats()[b"curr_items"]) >= 4
assert c.version().startswith(b"1.6")
assert c.flush_all(noreply=False) is True
assert c.get("a") is None
c.quit()
print("pymemcache ok")
""";

    [Fact]
    public void PymemcacheWorksAgainstTheHost()
    {
        string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), "/usr/bin/python3 is missing (Debian package python3)");
        (int check, string checkOut) = Processes.Run(python, "-c \"import pymemcache\"");
        Assert.True(check == 0, $"pymemcache is not importable from /usr/bin/python3: install the Debian package python3-pymemcache (test.sh installs it). {checkOut}");

        using HostProcess host = new();
        string script = Path.Combine(Path.GetTempPath(), $"edgeos-pymemcache-{Environment.ProcessId}.py");
        File.WriteAllText(script, PyScript);
        try
        {
            (int code, string output) = Processes.Run(python, $"\"{script}\" {host.PortBase}");
            Assert.True(code == 0, output);
            Assert.Contains("pymemcache ok", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("--binary")]
    public void LibmemcachedToolsWorkAgainstTheHost(string protocol)
    {
        string memccp = Processes.Require("memccp", "libmemcached-tools");
        string memccat = Processes.Require("memccat", "libmemcached-tools");
        string memcrm = Processes.Require("memcrm", "libmemcached-tools");
        string memcstat = Processes.Require("memcstat", "libmemcached-tools");
        string memcslap = Processes.Require("memcslap", "libmemcached-tools");
        string memcflush = Processes.Require("memcflush", "libmemcached-tools");

        using HostProcess host = new();
        string servers = $"--servers=127.0.0.1:{host.PortBase}";
        string dir = Directory.CreateTempSubdirectory("edgeos-memc").FullName;
        try
        {
            string file = Path.Combine(dir, "payload.txt");
            string content = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i}\n"));
            File.WriteAllText(file, content);

            (int code, string output) = Processes.Run(memccp, $"{protocol} {servers} \"{file}\"");
            Assert.True(code == 0, $"memccp: {output}");
            (code, output) = Processes.Run(memccat, $"{protocol} {servers} payload.txt");
            Assert.True(code == 0, $"memccat: {output}");
            Assert.StartsWith(content, output, StringComparison.Ordinal); // memccat ends with a newline of its own

            (code, output) = Processes.Run(memcrm, $"{protocol} {servers} payload.txt");
            Assert.True(code == 0, $"memcrm: {output}");
            (code, output) = Processes.Run(memccat, $"{protocol} {servers} payload.txt");
            Assert.NotEqual(0, code);

            (code, output) = Processes.Run(memcstat, $"{protocol} {servers}");
            Assert.True(code == 0, $"memcstat: {output}");
            Assert.Contains("curr_items", output, StringComparison.Ordinal);

            (code, output) = Processes.Run(memcslap, $"{protocol} {servers} --concurrency=4 --execute-number=500");
            Assert.True(code == 0, $"memcslap: {output}");

            (code, output) = Processes.Run(memcflush, $"{protocol} {servers}");
            Assert.True(code == 0, $"memcflush: {output}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
