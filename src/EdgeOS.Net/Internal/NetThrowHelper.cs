using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeOS.Net.Internal;

/// <summary>Builds and throws the EdgeOS.Net exceptions, so the hot methods stay small.</summary>
internal static class NetThrowHelper
{
    [DoesNotReturn]
    public static void ThrowOwnership(string port, FrameOwnershipError error, Frame frame, int batchIndex, int capacityBytes)
    {
        string where = batchIndex >= 0 ? Format($" (batch element {batchIndex})") : string.Empty;
        string message = error switch
        {
            FrameOwnershipError.NotIssued => frame.IsDefault
                ? Format($"default(Frame){where} names no frame of port '{port}'.")
                : Format($"{frame}{where} was never issued by port '{port}': a forged or corrupted handle."),
            FrameOwnershipError.ForeignPort => Format($"{frame}{where} was issued by another port, not by '{port}'; give it back to its own port."),
            FrameOwnershipError.AlreadyReturned => Format($"{frame}{where} was already released or transmitted to port '{port}': a frame is given back exactly once."),
            FrameOwnershipError.Stale => Format($"{frame}{where} is stale: it was given back to port '{port}' and its slot has been issued again since."),
            FrameOwnershipError.DuplicateInBatch => Format($"{frame}{where} appears more than once in the same batch for port '{port}'."),
            FrameOwnershipError.BadLength => Format($"{frame}{where} has length {frame.Length}, outside 0 to {capacityBytes} (its capacity) on port '{port}'."),
            _ => Format($"{frame}{where} was refused by port '{port}'."),
        };
        throw new FrameOwnershipException(message, error, frame);
    }

    [DoesNotReturn]
    public static void ThrowEmptyTransmit(string port, Frame frame, int batchIndex) =>
        throw new FrameOwnershipException(
            Format($"{frame} (batch element {batchIndex}) has length 0; set the length to transmit with Frame.WithLength before transmitting on port '{port}'."),
            FrameOwnershipError.BadLength,
            frame);

    [DoesNotReturn]
    public static void ThrowLeak(string port, int outstanding) =>
        throw new FrameLeakException(
            Format($"Port '{port}' has {outstanding} frame(s) that were received or allocated and never released or transmitted."),
            outstanding);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
