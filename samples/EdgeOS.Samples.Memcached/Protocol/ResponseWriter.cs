using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace EdgeOS.Samples.Memcached.Protocol;

/// <summary>Small helpers that append protocol text to an <see cref="IBufferWriter{T}"/> without allocating.</summary>
internal static class ResponseWriter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put(this IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        Span<byte> span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }

    public static void PutByte(this IBufferWriter<byte> output, byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    public static void PutNumber(this IBufferWriter<byte> output, ulong value)
    {
        Span<byte> span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int written);
        output.Advance(written);
    }

    public static void PutNumber(this IBufferWriter<byte> output, long value)
    {
        Span<byte> span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int written);
        output.Advance(written);
    }

    public static void PutCrlf(this IBufferWriter<byte> output) => output.Put("\r\n"u8);

    /// <summary>A stat line: "STAT name value\r\n".</summary>
    public static void PutStat(this IBufferWriter<byte> output, ReadOnlySpan<byte> name, ulong value)
    {
        output.Put("STAT "u8);
        output.Put(name);
        output.PutByte((byte)' ');
        output.PutNumber(value);
        output.PutCrlf();
    }

    public static void PutStat(this IBufferWriter<byte> output, ReadOnlySpan<byte> name, long value)
    {
        output.Put("STAT "u8);
        output.Put(name);
        output.PutByte((byte)' ');
        output.PutNumber(value);
        output.PutCrlf();
    }

    public static void PutStat(this IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        output.Put("STAT "u8);
        output.Put(name);
        output.PutByte((byte)' ');
        output.Put(value);
        output.PutCrlf();
    }

    public static void PutStat(this IBufferWriter<byte> output, string name, string value)
    {
        output.Put("STAT "u8);
        PutAscii(output, name);
        output.PutByte((byte)' ');
        PutAscii(output, value);
        output.PutCrlf();
    }

    public static void PutAscii(this IBufferWriter<byte> output, string text)
    {
        Span<byte> span = output.GetSpan(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        output.Advance(text.Length);
    }
}
