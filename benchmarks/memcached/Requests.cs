using System.Text;

namespace EdgeOS.Benchmarks.Memcached;

/// <summary>The request bytes, built once: every target uses the same key names, so one get and one set per key.</summary>
internal sealed class Requests
{
    public const byte Get = 0;
    public const byte Set = 1;

    public Requests(int keys, int valueSizeBytes)
    {
        GetBytes = new byte[keys][];
        SetBytes = new byte[keys][];
        byte[] value = new byte[valueSizeBytes];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }

        for (int k = 0; k < keys; k++)
        {
            string key = $"bench:{k:D7}";
            GetBytes[k] = Encoding.ASCII.GetBytes($"get {key}\r\n");
            byte[] head = Encoding.ASCII.GetBytes($"set {key} 0 0 {valueSizeBytes}\r\n");
            byte[] set = new byte[head.Length + value.Length + 2];
            head.CopyTo(set, 0);
            value.CopyTo(set, head.Length);
            set[^2] = (byte)'\r';
            set[^1] = (byte)'\n';
            SetBytes[k] = set;
        }

        RequestBytesMax = SetBytes[0].Length;
    }

    public byte[][] GetBytes { get; }

    public byte[][] SetBytes { get; }

    public int RequestBytesMax { get; }

    public byte[] For(byte kind, int key) => kind == Get ? GetBytes[key] : SetBytes[key];
}

/// <summary>What one response was; <see cref="Incomplete"/> means more bytes are needed.</summary>
internal enum Reply
{
    Incomplete,
    Hit,
    Miss,
    Stored,
    ServerError,
    ProtocolError,
}

/// <summary>Parses one response to a single-key get or a set from the start of a buffer, without allocating.</summary>
internal static class ReplyParser
{
    public static Reply Parse(ReadOnlySpan<byte> b, out int consumed)
    {
        consumed = 0;
        int nl = b.IndexOf((byte)'\n');
        if (nl < 0)
        {
            return Reply.Incomplete;
        }

        ReadOnlySpan<byte> line = b[..(nl + 1)];
        if (line.StartsWith("VALUE "u8))
        {
            if (nl < 2 || line[nl - 1] != (byte)'\r')
            {
                return Reply.ProtocolError;
            }

            // "VALUE <key> <flags> <bytes>\r\n": the byte count is the last token (a plain get has no CAS).
            ReadOnlySpan<byte> head = line[..(nl - 1)];
            int space = head.LastIndexOf((byte)' ');
            long length = 0;
            for (int i = space + 1; i < head.Length; i++)
            {
                int d = head[i] - '0';
                if (d is < 0 or > 9 || length > int.MaxValue / 10)
                {
                    return Reply.ProtocolError;
                }

                length = (length * 10) + d;
            }

            long total = nl + 1 + length + 7;
            if (b.Length < total)
            {
                return Reply.Incomplete;
            }

            if (!b.Slice((int)(nl + 1 + length), 7).SequenceEqual("\r\nEND\r\n"u8))
            {
                return Reply.ProtocolError;
            }

            consumed = (int)total;
            return Reply.Hit;
        }

        consumed = nl + 1;
        if (line.SequenceEqual("END\r\n"u8))
        {
            return Reply.Miss;
        }

        if (line.SequenceEqual("STORED\r\n"u8))
        {
            return Reply.Stored;
        }

        // NOT_STORED, SERVER_ERROR ..., CLIENT_ERROR ..., ERROR: a complete answer that is not what we asked for.
        return Reply.ServerError;
    }
}
