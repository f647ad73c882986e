namespace EdgeOS.Fwp.Internal;

/// <summary>Calls a program's static handler; one sealed subclass per program type so the call is direct.</summary>
internal abstract class FwpDispatcher
{
    public abstract void Handle(FwpContext context, ReadOnlySpan<byte> message);
}

internal sealed class FwpDispatcher<TProgram> : FwpDispatcher
    where TProgram : IFwpProgram
{
    public override void Handle(FwpContext context, ReadOnlySpan<byte> message) => TProgram.Handle(context, message);
}
