using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeOS.Net.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum of the data taken as
/// big-endian 16-bit words, used by IPv4, UDP, TCP and ICMP. Values are numbers; write them big-endian.
/// </summary>
/// <remarks>
/// <para>
/// Speed: the sum is taken 8 bytes at a time into a 64-bit accumulator and folded once at the end (the one's
/// complement sum does not depend on the order or width of the additions, RFC 1071 section 2), so a 1500-byte
/// packet costs about 190 additions; no allocation.
/// </para>
/// <para>
/// Partial sums: <see cref="Sum"/> returns an unfolded 32-bit sum that can be passed as <c>initial</c> to the next
/// call, to checksum data in pieces (a pseudo-header, then the datagram). Every piece but the last must have an
/// even length, because the words must stay aligned.
/// </para>
/// </remarks>
public static class InternetChecksum
{
    /// <summary>The checksum of <paramref name="data"/> plus an initial partial sum.</summary>
    /// <param name="data">The bytes, e.g. an IPv4 header with its checksum field zeroed.</param>
    /// <param name="initial">A partial sum from <see cref="Sum"/> or <see cref="PseudoHeaderSum"/>, or 0.</param>
    /// <returns>The checksum, to store big-endian.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Compute(ReadOnlySpan<byte> data, uint initial = 0) => (ushort)~Fold(Sum(data, initial));

    /// <summary>Whether data that includes its checksum field sums to all ones, i.e. the checksum is right.</summary>
    /// <param name="data">The bytes including the stored checksum.</param>
    /// <param name="initial">A partial sum (the pseudo-header for UDP), or 0.</param>
    /// <returns><see langword="true"/> if the checksum verifies.</returns>
    /// <remarks>A 20-byte span (an IPv4 header without options, the common case) is summed in three loads without a loop.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Verify(ReadOnlySpan<byte> data, uint initial = 0) =>
        data.Length == 20 ? Verify20(data, initial) : Fold(Sum(data, initial)) == 0xFFFF;

    // Verify for exactly 20 bytes: two 64-bit loads and a 32-bit one, summed as 32-bit native-order halves. All ones is
    // its own byte swap, so the native-order sum needs no swap for this test (RFC 1071 section 2(B)).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Verify20(ReadOnlySpan<byte> data, uint initial)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        ulong a = Unsafe.ReadUnaligned<ulong>(ref start);
        ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 8));
        uint c = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, 16));
        ulong sum = (a & 0xFFFF_FFFF) + (a >> 32) + (b & 0xFFFF_FFFF) + (b >> 32) + c;
        uint folded = Fold64(sum);
        if (initial != 0)
        {
            // The initial sum is big-endian words: bring it to native order before adding.
            uint native = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)Fold(initial)) : Fold(initial);
            folded = Fold(folded + native);
        }

        return folded == 0xFFFF;
    }

    /// <summary>
    /// The one's-complement sum of <paramref name="data"/> (big-endian words, an odd last byte padded with zero)
    /// added to <paramref name="initial"/>, not folded to 16 bits. O(n), no allocation.
    /// </summary>
    /// <param name="data">The bytes.</param>
    /// <param name="initial">The sum so far.</param>
    /// <returns>The new partial sum (fits in 32 bits).</returns>
    public static uint Sum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;
        ulong sum = 0;

        // Native-order words: the folded result is the byte swap of the big-endian sum on a little-endian machine
        // (RFC 1071 section 2(B)), so swap once at the end instead of per word.
        while (length - i >= 32)
        {
            ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 8));
            ulong c = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 16));
            ulong d = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i + 24));
            sum += (a & 0xFFFF_FFFF) + (a >> 32) + (b & 0xFFFF_FFFF) + (b >> 32)
                + (c & 0xFFFF_FFFF) + (c >> 32) + (d & 0xFFFF_FFFF) + (d >> 32);
            i += 32;
        }

        while (length - i >= 4)
        {
            sum += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            i += 4;
        }

        if (length - i >= 2)
        {
            sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            i += 2;
        }

        if (i < length)
        {
            // The odd byte is the high half of a big-endian word: in native order on little-endian, the low byte.
            uint last = Unsafe.Add(ref start, i);
            sum += BitConverter.IsLittleEndian ? last : last << 8;
        }

        uint folded = Fold64(sum);
        if (BitConverter.IsLittleEndian)
        {
            folded = BinaryPrimitives.ReverseEndianness((ushort)folded);
        }

        ulong total = (ulong)folded + initial;
        return (uint)((total & 0xFFFF_FFFF) + (total >> 32));
    }

    /// <summary>
    /// The partial sum of the IPv4 pseudo-header used by UDP and TCP checksums (RFC 768): source and destination
    /// addresses, the protocol number and the transport length.
    /// </summary>
    /// <param name="source">The IPv4 source address as a number (10.0.0.1 = 0x0A000001).</param>
    /// <param name="destination">The IPv4 destination address as a number.</param>
    /// <param name="protocol">The IP protocol number (17 for UDP).</param>
    /// <param name="length">The transport header plus payload length in bytes.</param>
    /// <returns>A partial sum to pass as <c>initial</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PseudoHeaderSum(uint source, uint destination, byte protocol, ushort length) =>
        (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (uint)length;

    /// <summary>Folds a partial sum to 16 bits (end-around carry).</summary>
    /// <param name="sum">A partial sum.</param>
    /// <returns>The 16-bit one's-complement sum.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>
    /// Updates a checksum for one 16-bit field that changed from <paramref name="oldValue"/> to
    /// <paramref name="newValue"/>, without summing the data again: RFC 1624 equation 3,
    /// <c>HC' = ~(~HC + ~m + m')</c>, which (unlike RFC 1141's form) never yields 0xFFFF-vs-0 errors. O(1).
    /// </summary>
    /// <param name="checksum">The checksum stored now.</param>
    /// <param name="oldValue">The field's old value (a 16-bit word at an even offset of the summed data).</param>
    /// <param name="newValue">The field's new value.</param>
    /// <returns>The checksum to store.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, ushort oldValue, ushort newValue)
    {
        uint sum = (uint)(ushort)~checksum + (ushort)~oldValue + newValue;
        return (ushort)~Fold(sum);
    }

    /// <summary>Updates a checksum for a 32-bit field (two words, e.g. an IPv4 address) per RFC 1624. O(1).</summary>
    /// <param name="checksum">The checksum stored now.</param>
    /// <param name="oldValue">The field's old value.</param>
    /// <param name="newValue">The field's new value.</param>
    /// <returns>The checksum to store.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, uint oldValue, uint newValue)
    {
        uint sum = (uint)(ushort)~checksum
            + (ushort)~(oldValue >> 16) + (ushort)~(oldValue & 0xFFFF)
            + (newValue >> 16) + (newValue & 0xFFFF);
        return (ushort)~Fold(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fold64(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        uint s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        return s;
    }
}
