using System.Text;
using EdgeOS.Samples.Click.Classification;
using Xunit;

namespace EdgeOS.Samples.Click.Tests.Classification;

/// <summary>
/// The compiled decision program must classify every packet exactly as a direct recursive evaluation of the
/// parsed expressions does (first pattern whose tree is true), for random expressions and random packets.
/// </summary>
public sealed class DifferentialTests
{
    private static readonly string[] s_addresses = ["10.0.0.1", "10.0.0.2", "10.0.1.7", "192.168.1.1"];

    private static readonly string[] s_primitives =
    [
        "src host {A}", "dst host {A}", "host {A}", "src and dst host {A}", "net 10.0.0.0/{N}", "dst net {A} mask 255.255.0.0",
        "port {P}", "src port {P}", "dst tcp port > {P}", "udp port != {P}", "src or dst port <= {P}", "dst port & 0xff == {B}",
        "tcp", "udp", "icmp", "ip proto {B}", "icmp type {T}", "icmp type != echo", "syn", "ack", "tcp opt fin", "fin ack",
        "ip ttl > {B}", "ip ttl & 0xf == {F}", "ip frag", "unfrag", "ip[9] == 6", "transp[13] & 2", "ip id < {P}",
        "tcp win >= {P}", "ip tos & 3 == 1", "ip dscp {D}", "ip hl 5", "ip hl > 5", "ip vers 4", "ip ect", "ip ce",
        "ip[3:2] > {P}", "transp[1:3] == {P}", "tcp[12:4] & 0x00ff0000", "udp[4:2] < {P}", "true", "false", "{A}", "www",
        "src port 53 or 80", "dst host {A} or {A}",
    ];

    [Fact]
    public void CompiledIpClassifierAgreesWithDirectEvaluation()
    {
        var random = new Random(20261128);
        var buffer = new byte[90];
        int checkedPackets = 0;
        for (int round = 0; round < 400; round++)
        {
            int count = random.Next(1, 6);
            var patterns = new string[count];
            for (int i = 0; i < count; i++)
            {
                patterns[i] = RandomExpression(random, 3);
            }

            ClassifierProgram program = ClassifierProgram.CompileIPClassifier(patterns);
            Assert.True(program.IsNative);
            for (int p = 0; p < 40; p++)
            {
                int length = RandomPacket(random, buffer);
                int nh = random.Next(20) == 0 ? random.Next(-1, 40) : TestPackets.IpOffset;
                ReadOnlySpan<byte> packet = buffer.AsSpan(0, length);
                int expected = Reference(program, packet, nh);
                int actual = program.Match(packet, nh);
                int interpreted = program.MatchInterpreted(packet, nh);
                Assert.True(expected == actual && expected == interpreted, $"patterns [{string.Join(", ", patterns)}] packet {Convert.ToHexString(packet)} nh {nh}: expected {expected}, generated method {actual}, interpreter {interpreted}");
                checkedPackets++;
            }
        }

        Assert.Equal(400 * 40, checkedPackets);
    }

    [Fact]
    public void CompiledClassifierAgreesWithDirectEvaluation()
    {
        var random = new Random(4242);
        var buffer = new byte[48];
        for (int round = 0; round < 400; round++)
        {
            int count = random.Next(1, 6);
            var patterns = new string[count];
            for (int i = 0; i < count; i++)
            {
                patterns[i] = random.Next(8) == 0 ? "-" : RandomClassifierPattern(random);
            }

            ClassifierProgram program = ClassifierProgram.CompileClassifier(patterns);
            Assert.True(program.IsNative);
            for (int p = 0; p < 40; p++)
            {
                // Mostly small byte values so that equality clauses sometimes hold.
                int length = random.Next(buffer.Length + 1);
                for (int i = 0; i < buffer.Length; i++)
                {
                    buffer[i] = (byte)random.Next(4);
                }

                ReadOnlySpan<byte> packet = buffer.AsSpan(0, length);
                int expected = Reference(program, packet, 0);
                Assert.Equal(expected, program.Match(packet, 0));
                Assert.Equal(expected, program.MatchInterpreted(packet, 0));
            }
        }
    }

    [Fact]
    public void ProgramsAboveTheGeneratedCodeBoundAreInterpretedWithTheSameResults()
    {
        // One test per pattern: 4100 destination hosts are more instructions than a generated method may have.
        var patterns = new string[ClassifierProgram.NativeInstructionsMax + 4];
        for (int i = 0; i < patterns.Length; i++)
        {
            patterns[i] = $"dst host 10.{i >> 16}.{(i >> 8) & 0xFF}.{i & 0xFF}";
        }

        ClassifierProgram big = ClassifierProgram.CompileIPClassifier(patterns);
        Assert.True(big.InstructionCount > ClassifierProgram.NativeInstructionsMax);
        Assert.False(big.IsNative);
        Assert.Equal(4099, big.Match(TestPackets.Udp("10.9.9.9", "10.0.16.3", 1, 2), TestPackets.IpOffset));
        Assert.Equal(0, big.Match(TestPackets.Udp("10.9.9.9", "10.0.0.0", 1, 2), TestPackets.IpOffset));
        Assert.Equal(-1, big.Match(TestPackets.Udp("10.9.9.9", "10.1.0.0", 1, 2), TestPackets.IpOffset));

        ClassifierProgram small = ClassifierProgram.CompileIPClassifier(patterns[..8]);
        Assert.True(small.IsNative);
        Assert.Equal(7, small.Match(TestPackets.Udp("10.9.9.9", "10.0.0.7", 1, 2), TestPackets.IpOffset));
    }

    private static int Reference(ClassifierProgram program, ReadOnlySpan<byte> packet, int nh)
    {
        for (int i = 0; i < program.Patterns.Count; i++)
        {
            if (program.Patterns[i]!.Evaluate(packet, nh))
            {
                return i;
            }
        }

        return -1;
    }

    private static string RandomExpression(Random random, int depth)
    {
        if (depth == 0 || random.Next(3) == 0)
        {
            string primitive = s_primitives[random.Next(s_primitives.Length)];
            var text = new StringBuilder(primitive);
            text.Replace("{N}", random.Next(8, 33).ToString(System.Globalization.CultureInfo.InvariantCulture));
            text.Replace("{P}", new[] { "0", "53", "80", "1023", "1024", "5000", "65535" }[random.Next(7)]);
            text.Replace("{B}", random.Next(0, 256).ToString(System.Globalization.CultureInfo.InvariantCulture));
            text.Replace("{F}", random.Next(0, 16).ToString(System.Globalization.CultureInfo.InvariantCulture));
            text.Replace("{D}", random.Next(0, 64).ToString(System.Globalization.CultureInfo.InvariantCulture));
            text.Replace("{T}", random.Next(0, 12).ToString(System.Globalization.CultureInfo.InvariantCulture));
            string result = text.ToString();
            while (result.Contains("{A}", StringComparison.Ordinal))
            {
                int at = result.IndexOf("{A}", StringComparison.Ordinal);
                result = result[..at] + s_addresses[random.Next(s_addresses.Length)] + result[(at + 3)..];
            }

            return result;
        }

        return random.Next(7) switch
        {
            0 => $"{RandomExpression(random, depth - 1)} and {RandomExpression(random, depth - 1)}",
            1 => $"{RandomExpression(random, depth - 1)} || {RandomExpression(random, depth - 1)}",
            2 => $"not {RandomExpression(random, depth - 1)}",
            3 => $"({RandomExpression(random, depth - 1)})",
            4 => $"({RandomExpression(random, depth - 1)} ? {RandomExpression(random, depth - 1)} : {RandomExpression(random, depth - 1)})",
            5 => $"!({RandomExpression(random, depth - 1)} or {RandomExpression(random, depth - 1)})",
            _ => $"{RandomExpression(random, depth - 1)} && ({RandomExpression(random, depth - 1)})",
        };
    }

    private static string RandomClassifierPattern(Random random)
    {
        int clauses = random.Next(1, 4);
        var text = new StringBuilder();
        for (int c = 0; c < clauses; c++)
        {
            if (c > 0)
            {
                text.Append(' ');
            }

            if (random.Next(4) == 0)
            {
                text.Append('!');
            }

            text.Append(random.Next(0, 44)).Append('/');
            int bytes = random.Next(1, 5);
            var mask = new StringBuilder();
            for (int b = 0; b < 2 * bytes; b++)
            {
                text.Append(random.Next(6) == 0 ? '?' : "0123"[random.Next(4)]);
                mask.Append("0137f"[random.Next(5)]);
            }

            if (random.Next(3) == 0)
            {
                text.Append('%').Append(mask);
            }
        }

        return text.ToString();
    }

    private static int RandomPacket(Random random, byte[] buffer)
    {
        byte proto = new byte[] { 1, 6, 17, 2 }[random.Next(4)];
        string[] ports = ["53", "80", "1023", "1024", "5000"];
        byte[] packet = TestPackets.Ip(
            src: s_addresses[random.Next(s_addresses.Length)],
            dst: s_addresses[random.Next(s_addresses.Length)],
            proto: proto,
            sport: ushort.Parse(ports[random.Next(ports.Length)], System.Globalization.CultureInfo.InvariantCulture),
            dport: ushort.Parse(ports[random.Next(ports.Length)], System.Globalization.CultureInfo.InvariantCulture),
            tcpFlags: (byte)random.Next(64),
            optionWords: random.Next(4) == 0 ? random.Next(1, 4) : 0,
            fragOffset: (ushort)(random.Next(4) == 0 ? random.Next(1, 100) : 0),
            moreFragments: random.Next(4) == 0,
            ttl: (byte)random.Next(256),
            tos: (byte)random.Next(256),
            id: (ushort)random.Next(65536),
            icmpType: (byte)random.Next(12),
            window: (ushort)new[] { 0, 1023, 1024, 65535 }[random.Next(4)]);
        packet.CopyTo(buffer, 0);
        int length = packet.Length;
        if (random.Next(5) == 0)
        {
            length = random.Next(length + 1); // truncated anywhere
        }

        return length;
    }
}
