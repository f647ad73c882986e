using EdgeOS.Net.Xdp;

// Usage: EdgeOS.Net.TestHelper hold-xdp <interface>
// Opens an XdpPort on the interface, prints "ready native|generic" and waits (until killed, or stdin closes).
if (args.Length == 2 && args[0] == "hold-xdp")
{
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

Console.Error.WriteLine("usage: EdgeOS.Net.TestHelper hold-xdp <interface>");
return 2;
