using System.Buffers.Binary;
using EdgeOS.Net.Packets;
using EdgeOS.Samples.Click.Runtime;

namespace EdgeOS.Benchmarks.Click;

/// <summary>
/// Benchmark source: replays 64-byte UDP frames held in memory (as a NIC would DMA them: one copy into a pooled
/// packet each), BURST 32 per task run, until LIMIT, then stops the driver. Destinations cycle over four /24s
/// and destination ports over 53, 80 and 9999, so routers and filters take every branch.
/// </summary>
internal sealed class MemoryReplay : Element
{
    private byte[][] _frames = [];
    private long _limit;
    private long _count;
    private bool _stop;

    public override string PortCount => "0/1";

    public override string Processing => PushCode;

    public override bool Configure(Args args, ElementErrors errors)
    {
        _limit = args.Read("LIMIT", ArgFlags.Mandatory, ClickValues.UInt64, 0UL) is var l ? (long)l : 0;
        _stop = args.Read("STOP", ArgFlags.None, ClickValues.Bool, false);
        _frames = new byte[60][];
        byte[] mac = [2, 0, 0, 0, 0, 1];
        for (int i = 0; i < _frames.Length; i++)
        {
            byte[] f = new byte[64];
            uint dst = (10u << 24) | ((uint)(i % 4 + 1) << 8) | (uint)(i + 1);
            ushort port = (i % 3) switch { 0 => 53, 1 => 80, _ => 9999 };
            int n = PacketBuilder.WriteUdp(f, mac, mac, 0x0A000001, dst, 1234, port, new byte[64 - 42]);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
            _frames[i] = f[..n];
        }

        return args.Complete();
    }

    public override bool Initialize(ElementErrors errors)
    {
        Router.Master.NewTask(this).Reschedule();
        return true;
    }

    public override bool RunTask(ClickTask task)
    {
        OutputPort output = Output(0);
        PacketPool pool = Router.Pool;
        byte[][] frames = _frames;
        int n = (int)Math.Min(32, _limit - _count);
        for (int i = 0; i < n; i++)
        {
            output.Push(pool.Make(frames[(int)(_count++ % frames.Length)]));
        }

        if (_count >= _limit)
        {
            task.Unschedule();
            if (_stop)
            {
                Router.AdjustRunCount(-1);
            }
        }

        return n > 0;
    }
}
