using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EdgeOS.Samples.Click.Classification;

/// <summary>Where a field test's offset is counted from.</summary>
internal enum FieldBase : byte
{
    /// <summary>The first byte of packet data (Classifier).</summary>
    Data,

    /// <summary>The IP header at the network header offset.</summary>
    Network,

    /// <summary>The transport header: the network header offset plus the IP header length in the packet.</summary>
    Transport,
}

/// <summary>How the masked field is compared with the value.</summary>
internal enum FieldOperation : byte
{
    Equal,
    Greater,
    Less,
}

/// <summary>
/// One test on a 32-bit big-endian word: <c>(word &amp; Mask)</c> compared with <c>Value</c>. For Equal, Value is in
/// word position; for Greater/Less the masked word is shifted right by Shift first and Value is the plain number.
/// A test whose masked bytes lie (partly) outside the packet is false: the packet takes the test's "no" branch,
/// as Click's length-checked matcher does, so a short or truncated packet never throws.
/// </summary>
internal readonly record struct FieldTest(FieldBase Base, int Offset, uint Mask, uint Value, FieldOperation Operation, byte Shift)
{
    /// <summary>Bytes from Offset that the mask needs (1..4).</summary>
    public int NeededBytes => Mask == 0 ? 0 : 4 - (System.Numerics.BitOperations.TrailingZeroCount(Mask) / 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset)
        => Evaluate(Base, Offset, Mask, Value, Operation, Shift, NeededBytes, packet, networkHeaderOffset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Evaluate(
        FieldBase fieldBase, int offset, uint mask, uint value, FieldOperation operation, int shift, int neededBytes,
        ReadOnlySpan<byte> packet, int networkHeaderOffset)
    {
        int at;
        if (fieldBase == FieldBase.Data)
        {
            at = offset;
        }
        else
        {
            if ((uint)networkHeaderOffset >= (uint)packet.Length)
            {
                return false;
            }

            at = networkHeaderOffset + offset;
            if (fieldBase == FieldBase.Transport)
            {
                at += (packet[networkHeaderOffset] & 0x0F) * 4;
            }
        }

        int available = packet.Length - at;
        if (available < neededBytes || at < 0)
        {
            return false;
        }

        uint word = available >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(packet[at..]) : ReadPartialWord(packet[at..]);
        uint masked = word & mask;
        return operation switch
        {
            FieldOperation.Equal => masked == value,
            FieldOperation.Greater => (masked >> shift) > value,
            _ => (masked >> shift) < value,
        };
    }

    // The packet ends inside the word but after every byte the mask needs: missing bytes read as zero and are masked out.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint ReadPartialWord(ReadOnlySpan<byte> bytes)
    {
        uint word = 0;
        for (int i = 0; i < 4; i++)
        {
            word = (word << 8) | (i < bytes.Length ? bytes[i] : 0u);
        }

        return word;
    }

    public override string ToString()
    {
        string where = Base switch
        {
            FieldBase.Data => "",
            FieldBase.Network => "ip+",
            _ => "transp+",
        };
        string op = Operation switch
        {
            FieldOperation.Equal => "==",
            FieldOperation.Greater => ">",
            _ => "<",
        };
        return Operation == FieldOperation.Equal
            ? $"{where}{Offset}/{Value:x8}%{Mask:x8}"
            : $"{where}{Offset}/({Mask:x8} >> {Shift}) {op} {Value}";
    }
}

/// <summary>A parsed classification expression: the tree the compiler turns into a decision program.</summary>
internal abstract class ClassifierExpression
{
    public static readonly ClassifierExpression True = new ConstantExpression(true);
    public static readonly ClassifierExpression False = new ConstantExpression(false);

    /// <summary>Evaluates the tree directly (the reference semantics the compiled program must agree with).</summary>
    public abstract bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset);

    public static ClassifierExpression And(ClassifierExpression left, ClassifierExpression right) => new AndExpression(left, right);

    public static ClassifierExpression Or(ClassifierExpression left, ClassifierExpression right) => new OrExpression(left, right);

    public static ClassifierExpression Not(ClassifierExpression operand) => new NotExpression(operand);

    public static ClassifierExpression Test(FieldTest test) => new TestExpression(test);
}

internal sealed class ConstantExpression(bool value) : ClassifierExpression
{
    public bool Value { get; } = value;

    public override bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset) => Value;

    public override string ToString() => Value ? "true" : "false";
}

internal sealed class TestExpression(FieldTest test) : ClassifierExpression
{
    public FieldTest Field { get; } = test;

    public override bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset) => Field.Evaluate(packet, networkHeaderOffset);

    public override string ToString() => Field.ToString();
}

internal sealed class AndExpression(ClassifierExpression left, ClassifierExpression right) : ClassifierExpression
{
    public ClassifierExpression Left { get; } = left;

    public ClassifierExpression Right { get; } = right;

    public override bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset)
        => Left.Evaluate(packet, networkHeaderOffset) && Right.Evaluate(packet, networkHeaderOffset);

    public override string ToString() => $"({Left} && {Right})";
}

internal sealed class OrExpression(ClassifierExpression left, ClassifierExpression right) : ClassifierExpression
{
    public ClassifierExpression Left { get; } = left;

    public ClassifierExpression Right { get; } = right;

    public override bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset)
        => Left.Evaluate(packet, networkHeaderOffset) || Right.Evaluate(packet, networkHeaderOffset);

    public override string ToString() => $"({Left} || {Right})";
}

internal sealed class NotExpression(ClassifierExpression operand) : ClassifierExpression
{
    public ClassifierExpression Operand { get; } = operand;

    public override bool Evaluate(ReadOnlySpan<byte> packet, int networkHeaderOffset) => !Operand.Evaluate(packet, networkHeaderOffset);

    public override string ToString() => $"!{Operand}";
}
