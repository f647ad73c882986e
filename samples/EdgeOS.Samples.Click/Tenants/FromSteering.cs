using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;

namespace EdgeOS.Samples.Click.Tenants;

/// <summary>
/// FromSteering: where the packets the multi-tenant host steered to a tenant enter that tenant's router (push,
/// 0/1, no arguments). Outside tenant mode it never emits a packet (like Idle). Handlers count, reset_counts.
/// </summary>
internal sealed class FromSteering : Element
{
    private long _count;

    public override string PortCount => "0/1";

    public override string Processing => PushCode;

    /// <summary>Packets delivered so far.</summary>
    public long Count => _count;

    /// <summary>Pushes one steered packet into the router.</summary>
    public void Deliver(Packet p)
    {
        _count++;
        PushOutput0(p);
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("count", () => Num(_count));
        handlers.AddWrite("reset_counts", (_, _) =>
        {
            _count = 0;
            return true;
        });
    }
}
