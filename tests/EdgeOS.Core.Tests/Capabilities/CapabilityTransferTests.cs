using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

public sealed class CapabilityTransferTests
{
    [Fact]
    public void TransferMovesTheCapabilityAndStalesTheSourceHandle()
    {
        var from = new CapabilityTable(4, "from");
        var to = new CapabilityTable(4, "to");
        var dog = new Dog();
        CapabilityHandle handle = from.Grant(dog, CapabilityRights.Read | CapabilityRights.Grant);

        CapabilityHandle moved = from.Transfer(handle, to);

        Assert.Same(dog, to.Resolve<Dog>(moved, CapabilityRights.Read));
        Assert.Equal(CapabilityRights.Read | CapabilityRights.Grant, to.GetRights(moved));
        var ex = Assert.Throws<StaleCapabilityException>(() => from.Resolve<Dog>(handle, CapabilityRights.Read));
        Assert.Contains("transferred", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, from.Count);
        Assert.Equal(1, to.Count);
    }

    [Fact]
    public void SecondTransferOfTheSameHandleFailsAsStaleAndChangesNothing()
    {
        var from = new CapabilityTable(4, "from");
        var to = new CapabilityTable(4, "to");
        var other = new CapabilityTable(4, "other");
        CapabilityHandle handle = from.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle moved = from.Transfer(handle, to);
        var snapshot = new CapabilitySnapshot([from, to, other], [(to, moved), (from, handle)]);

        Assert.Throws<StaleCapabilityException>(() => from.Transfer(handle, other));
        Assert.Throws<StaleCapabilityException>(() => from.Transfer(handle, to));

        Assert.Equal(snapshot, new CapabilitySnapshot([from, to, other], [(to, moved), (from, handle)]));
    }

    [Fact]
    public void TransferNeedsTheGrantRight()
    {
        var from = new CapabilityTable(4);
        var to = new CapabilityTable(4);
        CapabilityHandle handle = from.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Revoke);

        Assert.Throws<CapabilityRightsException>(() => from.Transfer(handle, to));
        Assert.Equal(1, from.Count);
        Assert.Equal(0, to.Count);
    }

    [Fact]
    public void TransferToTheSameTableIsRefused()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle handle = table.Grant(new Dog(), CapabilityRights.All);

        Assert.Throws<ArgumentException>(() => table.Transfer(handle, table));
        Assert.Throws<ArgumentNullException>(() => table.Transfer(handle, null!));
        Assert.Equal(CapabilityStatus.Ok, table.TryResolve(handle, CapabilityRights.All, out Dog? _));
    }

    [Fact]
    public void TransferIntoAFullTableFailsAndLeavesBothTablesAsTheyWere()
    {
        var from = new CapabilityTable(4, "from");
        var full = new CapabilityTable(1, "full");
        CapabilityHandle handle = from.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle occupant = full.Grant(new Document(), CapabilityRights.Read);
        var snapshot = new CapabilitySnapshot([from, full], [(from, handle), (full, occupant)]);

        Assert.Throws<CapabilityTableFullException>(() => from.Transfer(handle, full));

        Assert.Equal(snapshot, new CapabilitySnapshot([from, full], [(from, handle), (full, occupant)]));
    }

    [Fact]
    public void TransferredCapabilityStillDiesWhenItsAncestorIsRevoked()
    {
        var owner = new CapabilityTable(4, "owner");
        var a = new CapabilityTable(4, "a");
        var b = new CapabilityTable(4, "b");
        CapabilityHandle root = owner.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle given = owner.Derive(root, CapabilityRights.Read | CapabilityRights.Grant, a);
        CapabilityHandle moved = a.Transfer(given, b);

        owner.Revoke(root);

        Assert.Equal(CapabilityStatus.Stale, b.TryResolve(moved, CapabilityRights.Read, out Dog? _));
        Assert.Equal(0, b.Count);
        Assert.Equal(0, a.Count);
        Assert.Equal(CapabilityStatus.Ok, owner.TryResolve(root, CapabilityRights.Read, out Dog? _));
    }

    [Fact]
    public void TransferredCapabilityKeepsItsDescendants()
    {
        var a = new CapabilityTable(8, "a");
        var b = new CapabilityTable(8, "b");
        var c = new CapabilityTable(8, "c");
        CapabilityHandle root = a.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle child1 = a.Derive(root, CapabilityRights.Read, c);
        CapabilityHandle child2 = a.Derive(root, CapabilityRights.All, c);
        CapabilityHandle grandchild = c.Derive(child2, CapabilityRights.Read, c);

        CapabilityHandle movedRoot = a.Transfer(root, b);

        Assert.Equal(CapabilityStatus.Ok, c.TryResolve(child1, CapabilityRights.Read, out Dog? _));
        Assert.Equal(CapabilityStatus.Ok, c.TryResolve(grandchild, CapabilityRights.Read, out Dog? _));
        b.Revoke(movedRoot);
        Assert.Equal(CapabilityStatus.Stale, c.TryResolve(child1, CapabilityRights.Read, out Dog? _));
        Assert.Equal(CapabilityStatus.Stale, c.TryResolve(child2, CapabilityRights.Read, out Dog? _));
        Assert.Equal(CapabilityStatus.Stale, c.TryResolve(grandchild, CapabilityRights.Read, out Dog? _));
        Assert.Equal(0, c.Count);
        Assert.Equal(1, b.Count);
        a.CheckInvariants();
        b.CheckInvariants();
        c.CheckInvariants();
    }

    [Fact]
    public void TransferOfAMiddleNodeKeepsItsSiblingsAndParentLinks()
    {
        var a = new CapabilityTable(8, "a");
        var b = new CapabilityTable(8, "b");
        CapabilityHandle root = a.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle first = a.Derive(root, CapabilityRights.All);
        CapabilityHandle middle = a.Derive(root, CapabilityRights.All);
        CapabilityHandle last = a.Derive(root, CapabilityRights.All);

        CapabilityHandle moved = a.Transfer(middle, b);
        a.CheckInvariants();
        b.CheckInvariants();
        a.Delete(first);
        a.Delete(last);

        Assert.Equal(CapabilityStatus.Ok, b.TryResolve(moved, CapabilityRights.All, out Dog? _));
        a.Revoke(root);
        Assert.Equal(CapabilityStatus.Stale, b.TryResolve(moved, CapabilityRights.None, out Dog? _));
        Assert.Equal(1, a.Count);
    }
}
