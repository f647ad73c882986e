using System.Globalization;
using System.Text;

namespace EdgeOS.Samples.Memcached.Protocol;

/// <summary>
/// memcached's verbose output on stderr (<c>-v</c>, <c>-vv</c>, the <c>verbosity</c> command), in memcached 1.6's
/// line formats: at level 2 and above, <c>&lt;fd</c> lines for what a connection received and <c>&gt;fd</c> lines for
/// what it answered, where fd is the socket's file descriptor (unique in the process, so lines of different tenants
/// never share a number). Each line is written whole, under a lock, so lines of different workers never interleave.
/// Formatting allocates; it runs only when a tenant's verbosity asks for it (memcached's verbose mode is for
/// debugging too).
/// </summary>
internal static class VerboseLog
{
    private static readonly Lock s_gate = new();
    private static readonly Stream s_stderr = Console.OpenStandardError();

    /// <summary>Where lines go; tests may redirect it.</summary>
    internal static Stream Output { get; set; } = s_stderr;

    public static bool Enabled(ServerContext context) => context.Verbosity > 1;

    public static void Line(string text)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text + "\n");
        lock (s_gate)
        {
            Output.Write(bytes);
            Output.Flush();
        }
    }

    public static void Listening(ServerContext context, int descriptor, string kind)
    {
        if (Enabled(context))
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"<{descriptor} server listening ({kind})"));
        }
    }

    public static void NewConnection(ServerContext context, int descriptor)
    {
        if (Enabled(context))
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"<{descriptor} new auto-negotiating client connection"));
        }
    }

    public static void ConnectionClosed(ServerContext context, int descriptor)
    {
        if (Enabled(context))
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"<{descriptor} connection closed."));
        }
    }

    /// <summary>"fd: Client using the ascii protocol" / "... binary protocol", when a connection's first byte decides.</summary>
    public static void Negotiated(int descriptor, bool binary) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"{descriptor}: Client using the {(binary ? "binary" : "ascii")} protocol"));

    /// <summary>A received text command line (without its line end).</summary>
    public static void Received(int descriptor, ReadOnlySpan<byte> line) => Received(descriptor, default, line);

    /// <summary>A received command: a prefix ("GET ") and the line or key.</summary>
    public static void Received(int descriptor, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> line) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"<{descriptor} {Encoding.Latin1.GetString(prefix)}{Encoding.Latin1.GetString(line)}"));

    /// <summary>A response line memcached logs (its out_string path), or "sending key ...": a prefix and the text.</summary>
    public static void Sent(int descriptor, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> text) =>
        Line(string.Create(CultureInfo.InvariantCulture, $">{descriptor} {Encoding.Latin1.GetString(prefix)}{Encoding.Latin1.GetString(text)}"));

    /// <summary>A 24-byte binary header as memcached dumps it: a title line, then four bytes per line.</summary>
    public static void BinaryHeader(int descriptor, bool received, ReadOnlySpan<byte> bytes)
    {
        StringBuilder text = new();
        char direction = received ? '<' : '>';
        text.Append(CultureInfo.InvariantCulture, $"{direction}{descriptor} {(received ? "Read binary protocol data:" : "Writing bin response:")}");
        for (int i = 0; i < 24; i += 4)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{direction}{descriptor} {(received ? "   " : "  ")}0x{bytes[i]:x2} 0x{bytes[i + 1]:x2} 0x{bytes[i + 2]:x2} 0x{bytes[i + 3]:x2}");
        }

        Line(text.ToString());
    }

    /// <summary>The slab class table at start-up (memcached -vv prints its own the same way); ours, from the template.</summary>
    public static void SlabClasses(Storage.PointerStoreMemory formatted)
    {
        int count = formatted.Read<Storage.StoreHeader>(Storage.StoreLayout.HeaderOffset).ClassCount;
        for (int id = 1; id <= count; id++)
        {
            ref readonly Storage.SlabClass c = ref formatted.Read<Storage.SlabClass>(Storage.StoreLayout.ClassTableOffset + ((id - 1L) * Storage.StoreLayout.ClassEntryBytes));
            Line(string.Create(CultureInfo.InvariantCulture, $"slab class {id,3}: chunk size {c.ChunkBytes,9} perslab {c.ChunksPerPage,7}"));
        }
    }
}
