namespace EdgeOS.TestHelper;

/// <summary>
/// The payload of message <c>sequence</c> in cross-process channel tests: a slice of a 0..255 repeating table that
/// starts at a byte derived from the sequence, so writing and checking it are plain (vectorized) copies and compares.
/// Compiled into the helper and linked into the tests, so both sides agree.
/// </summary>
public static class ChannelPayload
{
    private static readonly byte[] s_table = CreateTable(1 << 21);

    /// <summary>The expected payload of <paramref name="sequence"/> with <paramref name="length"/> bytes (at most 2 MiB - 256).</summary>
    public static ReadOnlySpan<byte> For(long sequence, int length) => s_table.AsSpan((int)((ulong)sequence * 13 & 0xFF), length);

    /// <summary>The message type carried by <paramref name="sequence"/>: its low 31 bits.</summary>
    public static int TypeFor(long sequence) => (int)(sequence & int.MaxValue);

    private static byte[] CreateTable(int length)
    {
        var table = new byte[length];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (byte)i;
        }

        return table;
    }
}
