using EdgeOS.Net.Packets;
using Xunit;

namespace EdgeOS.Net.Tests.Packets;

public sealed class InternetChecksumTests
{
    [Fact]
    public void MatchesTheNaiveSumForEveryLengthAndAlignment()
    {
        var random = new Random(17);
        byte[] buffer = new byte[2100];
        for (int round = 0; round < 3000; round++)
        {
            random.NextBytes(buffer);
            int start = random.Next(0, 8);
            int length = round < 200 ? round : random.Next(0, 2000);
            uint initial = round % 3 == 0 ? 0u : (uint)random.Next(0, 0x3FFFF);

            // The bytes after the slice are garbage: a read past it would change the result.
            ReadOnlySpan<byte> data = buffer.AsSpan(start, length);
            Assert.Equal(TestFrames.NaiveChecksum(data, initial), InternetChecksum.Compute(data, initial));
        }
    }

    [Fact]
    public void PartialSumsOverEvenPiecesEqualTheWhole()
    {
        var random = new Random(5);
        byte[] data = new byte[999];
        random.NextBytes(data);
        uint sum = InternetChecksum.Sum(data.AsSpan(0, 100));
        sum = InternetChecksum.Sum(data.AsSpan(100, 402), sum);
        Assert.Equal(InternetChecksum.Compute(data), (ushort)~InternetChecksum.Fold(InternetChecksum.Sum(data.AsSpan(502), sum)));
    }

    [Fact]
    public void DataWithItsChecksumVerifiesAndAFlippedBitDoesNot()
    {
        byte[] header = [0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        ushort sum = InternetChecksum.Compute(header);
        header[10] = (byte)(sum >> 8);
        header[11] = (byte)sum;
        Assert.True(InternetChecksum.Verify(header));
        header[15] ^= 0x10;
        Assert.False(InternetChecksum.Verify(header));
    }

    [Fact]
    public void TwentyByteVerifyAgreesWithTheGeneralSum()
    {
        // Verify takes a loop-free path for 20 bytes (an IPv4 header without options); the general path is the oracle.
        var random = new Random(20);
        byte[] buffer = new byte[28];
        int verified = 0;
        for (int round = 0; round < 20000; round++)
        {
            random.NextBytes(buffer);
            int start = random.Next(0, 8);
            Span<byte> data = buffer.AsSpan(start, 20);
            uint initial = round % 4 == 0 ? 0u : (uint)random.Next(0, 0x3FFFF);
            if (round % 2 == 0)
            {
                // Make half of them correct: store the checksum over the rest (with the same initial sum) in bytes 10-11.
                data[10] = data[11] = 0;
                ushort sum = InternetChecksum.Compute(data, initial);
                data[10] = (byte)(sum >> 8);
                data[11] = (byte)sum;
            }

            bool general = InternetChecksum.Fold(InternetChecksum.Sum(data, initial)) == 0xFFFF;
            Assert.Equal(general, InternetChecksum.Verify(data, initial));
            verified += general ? 1 : 0;
        }

        Assert.InRange(verified, 10000, 10100); // every corrected header, and rarely a random one
        Assert.False(InternetChecksum.Verify(new byte[20]));
    }

    /// <summary>RFC 1624 section 4's example: m = 0x5555 becomes 0x3285 under HC = 0xDD2F; equation 3 gives 0x0000
    /// where RFC 1141's equation gives the wrong 0xFFFF.</summary>
    [Fact]
    public void IncrementalUpdateFollowsRfc1624Example()
    {
        Assert.Equal(0x0000, InternetChecksum.Update(0xDD2F, 0x5555, 0x3285));
    }

    [Fact]
    public void IncrementalUpdateEqualsFullRecomputation()
    {
        var random = new Random(99);
        byte[] data = new byte[60];
        for (int round = 0; round < 5000; round++)
        {
            random.NextBytes(data);
            data[10] = 0;
            data[11] = 0;
            ushort before = InternetChecksum.Compute(data);
            int at = random.Next(0, 30) * 2;
            if (at == 10)
            {
                continue;
            }

            ushort oldWord = (ushort)((data[at] << 8) | data[at + 1]);
            ushort newWord = round % 50 == 0 ? oldWord : (ushort)random.Next(0, 0x10000);
            data[at] = (byte)(newWord >> 8);
            data[at + 1] = (byte)newWord;
            ushort full = InternetChecksum.Compute(data);
            ushort updated = InternetChecksum.Update(before, oldWord, newWord);

            // Equation 3 gives exactly what summing the data again gives, unchanged words included.
            Assert.Equal(full, updated);
        }
    }

    [Fact]
    public void ThirtyTwoBitUpdateEqualsTwoWordUpdates()
    {
        ushort sum = 0x1C46;
        uint oldAddress = 0x0A000001;
        uint newAddress = 0xC0A80A17;
        ushort twoSteps = InternetChecksum.Update(InternetChecksum.Update(sum, (ushort)(oldAddress >> 16), (ushort)(newAddress >> 16)), (ushort)oldAddress, (ushort)newAddress);
        Assert.Equal(twoSteps, InternetChecksum.Update(sum, oldAddress, newAddress));
    }
}
