using EdgeOS.Net;
using EdgeOS.Net.PacketSocket;
using EdgeOS.Net.Xdp;

// Usage: EdgeOS.Net.TestHelper hold-xdp <interface>     open an XdpPort, print "ready native|generic", wait until killed
//        EdgeOS.Net.TestHelper open-packet <interface>  open a PacketSocketPort, print "ready", exit
// A refused privilege prints "privilege <capability>" and exits with 3 (the tests run this under setpriv).
if (args.Length != 2 || args[0] is not ("hold-xdp" or "open-packet"))
{
    Console.Error.WriteLine("usage: EdgeOS.Net.TestHelper hold-xdp|open-packet <interface>");
    return 2;
}

try
{
    if (args[0] == "open-packet")
    {
        using var packet = new PacketSocketPort(new PacketSocketPortOptions { InterfaceName = args[1], BlockCount = 2, BlockSizeBytes = 4096, TransmitFrameCount = 1 });
        Console.WriteLine("ready");
        return 0;
    }

    using var port = new XdpPort(new XdpPortOptions
    {
        InterfaceName = args[1],
        FrameCount = 64,
        FillRingSize = 32,
        CompletionRingSize = 32,
        RxRingSize = 32,
        TxRingSize = 32,
    });
    Console.WriteLine(port.IsNativeXdp ? "ready native" : "ready generic");
    Console.Out.Flush();
    _ = Console.In.ReadToEnd();
    return 0;
}
catch (NetPrivilegeException e)
{
    Console.WriteLine("privilege " + e.Capability);
    Console.Error.WriteLine(e.Message);
    return 3;
}
