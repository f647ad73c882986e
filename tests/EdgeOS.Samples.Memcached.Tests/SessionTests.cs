using System.Text;
using EdgeOS.Samples.Memcached.Protocol;
using Xunit;

namespace EdgeOS.Samples.Memcached.Tests;

public sealed class SessionTests
{
    [Theory]
    [InlineData("foo\r\n", "ERROR\r\n")]
    [InlineData("\r\n", "ERROR\r\n")]
    [InlineData("get\r\n", "ERROR\r\n")]
    [InlineData("set a 0 0\r\n", "ERROR\r\n")]
    [InlineData("set a x 0 1\r\na\r\n", "CLIENT_ERROR bad command line format\r\nERROR\r\n")]
    [InlineData("set a 0 0 -1\r\n", "CLIENT_ERROR bad command line format\r\n")]
    [InlineData("set a 0 0 1\r\nab\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n")]
    [InlineData("set a 0 0 1 noreply\r\nab\r\n", "ERROR\r\n")]
    [InlineData("incr a x\r\n", "CLIENT_ERROR invalid numeric delta argument\r\n")]
    [InlineData("incr a 1\r\n", "NOT_FOUND\r\n")]
    [InlineData("touch a x\r\n", "CLIENT_ERROR invalid exptime argument\r\n")]
    [InlineData("gat x a\r\n", "CLIENT_ERROR invalid exptime argument\r\n")]
    [InlineData("delete a 1\r\n", "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n")]
    [InlineData("flush_all x\r\n", "CLIENT_ERROR invalid exptime argument\r\n")]
    [InlineData("verbosity x\r\n", "CLIENT_ERROR bad command line format\r\n")]
    [InlineData("stats detail\r\n", "CLIENT_ERROR usage: stats detail on|off|dump\r\n")]
    [InlineData("stats nothing\r\n", "ERROR\r\n")]
    [InlineData("mg\r\n", "ERROR\r\n")]
    [InlineData("mg a v v\r\n", "CLIENT_ERROR duplicate flag\r\n")]
    [InlineData("mg a !\r\n", "CLIENT_ERROR invalid flag\r\n")]
    [InlineData("mg a Tx\r\n", "CLIENT_ERROR bad token in command line format\r\n")]
    [InlineData("mg !!!! b\r\n", "CLIENT_ERROR error decoding key\r\n")]
    [InlineData("mg a Oooooooooooooooooooooooooooooooooo\r\n", "CLIENT_ERROR opaque token too long\r\n")]
    [InlineData("mg a q\r\nmn\r\n", "MN\r\n")]
    [InlineData("ms a\r\n", "CLIENT_ERROR bad command line format\r\n")]
    [InlineData("ms a 1 MZ\r\nx\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n")]
    [InlineData("ms a 1 MSS\r\nx\r\n", "CLIENT_ERROR incorrect length for M token\r\n")]
    [InlineData("ms a 1\r\nxy\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\n")]
    [InlineData("md a x\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n")]
    [InlineData("ma a Mx\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n")]
    [InlineData("ma a Dx\r\n", "CLIENT_ERROR invalid or duplicate flag\r\n")]
    [InlineData("mz a\r\n", "ERROR\r\n")]
    [InlineData("me\r\n", "CLIENT_ERROR bad command line format\r\n")]
    [InlineData("shutdown\r\n", "ERROR: shutdown not enabled\r\n")]
    public void ErrorPathsAnswerWithMemcachedsExactStrings(string request, string expected)
    {
        using StoreFixture f = new();
        Assert.Equal(expected, f.Send(request));
        f.Store.CheckInvariants();
        Assert.Equal(0UL, f.Store.Stats.CurrItems);
    }

    [Fact]
    public void TooLongKeysAreRefused()
    {
        using StoreFixture f = new();
        string key = new('k', 251);
        Assert.Equal("CLIENT_ERROR bad command line format\r\nERROR\r\n", f.Send($"set {key} 0 0 1\r\nx\r\n"));
        Assert.Equal("CLIENT_ERROR bad command line format\r\n", f.Send($"get a {key}\r\n"));
        Assert.Equal("CLIENT_ERROR bad command line format\r\n", f.Send($"mg {key} v\r\n"));
        Assert.Equal("STORED\r\n", f.Send($"set {key[..250]} 0 0 1\r\nx\r\n"));
    }

    [Fact]
    public void TooLargeValueIsSwallowedAndTheOldValueDropped()
    {
        using StoreFixture f = new();
        Assert.Equal("STORED\r\n", f.Send("set k 0 0 1\r\nx\r\n"));
        string big = new('y', 2_000_000);
        Assert.Equal("SERVER_ERROR object too large for cache\r\nEND\r\n", f.Send($"set k 0 0 {big.Length}\r\n{big}\r\nget k\r\n", pieceBytes: 65536));
        Assert.Equal(1UL, f.Store.Stats.StoreTooLarge);
    }

    [Fact]
    public void ResponsesAreTheSameWhateverHowTheInputIsSplit()
    {
        const string requests = "set a 0 0 5\r\nhello\r\nget a b\r\nms b 3 T0 F7 c\r\nabc\r\nmg b v f c k\r\nincr a 1\r\nset n 0 0 1\r\n5\r\nincr n 10\r\ngets n\r\nmn\r\n";
        string whole;
        using (StoreFixture f = new())
        {
            whole = f.Send(requests);
        }

        for (int piece = 1; piece < 40; piece += 3)
        {
            using StoreFixture f = new();
            Assert.Equal(whole, f.Send(requests, piece));
        }

        Assert.Contains("VALUE a 0 5\r\nhello\r\nEND\r\n", whole, StringComparison.Ordinal);
        Assert.EndsWith("MN\r\n", whole, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionEndingMidValueGivesTheItemBack()
    {
        using StoreFixture f = new();
        byte[] request = Encoding.Latin1.GetBytes("set k 0 0 10000\r\n" + new string('x', 5000));
        f.SendBytes(request, int.MaxValue, out SessionStatus status);
        Assert.Equal(SessionStatus.NeedMore, status);
        Assert.True(f.Session.HasPendingValue);
        uint freeBefore = FreeChunks(f);
        f.Session.Abort();
        Assert.False(f.Session.HasPendingValue);
        Assert.Equal(freeBefore + 1, FreeChunks(f));
        Assert.Equal(0UL, f.Store.Stats.CurrItems);
        f.Store.CheckInvariants();
    }

    private static uint FreeChunks(StoreFixture f)
    {
        uint free = 0;
        for (int id = 1; id <= f.Store.ClassCount; id++)
        {
            free += f.Store.Class(id).FreeCount;
        }

        return free;
    }

    [Fact]
    public void QuitAndOverlongLinesClose()
    {
        using StoreFixture f = new();
        f.SendBytes("quit\r\n"u8.ToArray(), int.MaxValue, out SessionStatus status);
        Assert.Equal(SessionStatus.Close, status);
        using StoreFixture g = new();
        g.SendBytes(new byte[3000], int.MaxValue, out status);
        Assert.Equal(SessionStatus.Close, status); // no newline within 2048 bytes and not a get: memcached hangs up
        using StoreFixture h = new();
        h.SendBytes(Encoding.Latin1.GetBytes(new string('x', 3000)), int.MaxValue, out status);
        Assert.Equal(SessionStatus.Close, status);
        using StoreFixture k = new();
        k.SendBytes(Encoding.Latin1.GetBytes("get " + new string('x', 3000)), int.MaxValue, out status);
        Assert.Equal(SessionStatus.NeedMore, status);
    }

    [Theory]
    [InlineData("5", true, 5UL)]
    [InlineData("+5", true, 5UL)]
    [InlineData("-0", true, 0UL)]
    [InlineData("\t7", true, 7UL)]
    [InlineData("7\t", true, 7UL)]
    [InlineData("-1", false, 0UL)]
    [InlineData("-18446744073709551615", true, 1UL)]
    [InlineData("18446744073709551615", true, ulong.MaxValue)]
    [InlineData("18446744073709551616", false, 0UL)]
    [InlineData("", false, 0UL)]
    [InlineData("5x", false, 0UL)]
    [InlineData("x", false, 0UL)]
    public void U64ParsingFollowsSafeStrtoull(string text, bool ok, ulong value)
    {
        Assert.Equal(ok, NumberParser.TryParseU64(Encoding.Latin1.GetBytes(text), out ulong v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("4294967297", true, 1)]
    [InlineData("2147483648", true, int.MinValue)]
    [InlineData("-2147483649", true, int.MaxValue)]
    [InlineData("9223372036854775808", false, 0)]
    [InlineData("-1", true, -1)]
    public void I32ParsingTruncatesLikeSafeStrtol(string text, bool ok, int value)
    {
        Assert.Equal(ok, NumberParser.TryParseI32(Encoding.Latin1.GetBytes(text), out int v));
        Assert.Equal(value, v);
    }
}
