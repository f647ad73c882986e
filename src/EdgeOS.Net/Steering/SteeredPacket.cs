using System.Runtime.InteropServices;

namespace EdgeOS.Net.Steering;

/// <summary>
/// The descriptor a <see cref="SteeringConsumer"/> receives for one frame: a 32-byte value that moves through the
/// consumer's descriptor ring. Read its bytes with <see cref="SteeringConsumer.GetSpan(in SteeredPacket)"/> and give it
/// back once with <see cref="SteeringConsumer.Return(in SteeredPacket)"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct SteeredPacket
{
    private readonly Frame _frame;
    private readonly int _bufferPlusOne;   // 0 = no buffer, so default(SteeredPacket) names none
    private readonly int _length;
    private readonly uint _flowHash;
    private readonly int _reserved;

    internal SteeredPacket(Frame frame, int buffer, int length, uint flowHash)
    {
        _frame = frame;
        _bufferPlusOne = buffer + 1;
        _length = length;
        _flowHash = flowHash;
        _reserved = 0;
    }

    /// <summary>The port's frame (<see cref="SteeringDelivery.SharedFrame"/>); <c>default</c> in copy mode.</summary>
    public Frame Frame => _frame;

    /// <summary>The index of the consumer's own buffer holding the copy (<see cref="SteeringDelivery.Copy"/>); -1 in shared mode.</summary>
    public int BufferIndex => _bufferPlusOne - 1;

    /// <summary>The frame's length in bytes.</summary>
    public int Length => _length;

    /// <summary>The 5-tuple hash of the frame in <see cref="SteeringMode.FlowHash"/> mode; 0 in port mode.</summary>
    public uint FlowHash => _flowHash;
}
