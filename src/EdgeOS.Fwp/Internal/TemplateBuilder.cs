using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Memory;

namespace EdgeOS.Fwp.Internal;

/// <summary>The mutable side of a template while its start-up runs.</summary>
internal sealed class TemplateBuilder(object? argument, CapabilityTable table)
{
    public object? Argument { get; } = argument;

    public MemoryRegion Region { get; set; } = null!;

    public bool Frozen { get; set; }

    public List<CapabilityHandle> Roots { get; } = [];

    public List<CapabilityRights> Rights { get; } = [];

    public FwpCapability Grant(object target, CapabilityRights rights)
    {
        if (Frozen)
        {
            FwpThrowHelper.ThrowTemplateFrozen();
        }

        // The root keeps Grant and Revoke so that tenants can derive from it and the template can cut them all.
        CapabilityHandle root = table.Grant(target, rights | CapabilityRights.Grant | CapabilityRights.Revoke);
        Roots.Add(root);
        Rights.Add(rights);
        return new FwpCapability(Roots.Count - 1);
    }
}
