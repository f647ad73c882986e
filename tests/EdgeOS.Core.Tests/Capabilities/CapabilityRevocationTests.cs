using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

public sealed class CapabilityRevocationTests
{
    // root (owner) -> a1 (a) -> a1x (b), a1y (c) -> a1y1 (a)
    //             -> a2 (b) -> a2x (b)
    private sealed class Forest
    {
        public readonly CapabilityTable Owner = new(16, "owner");
        public readonly CapabilityTable A = new(16, "a");
        public readonly CapabilityTable B = new(16, "b");
        public readonly CapabilityTable C = new(16, "c");
        public readonly CapabilityHandle Root;
        public readonly CapabilityHandle A1;
        public readonly CapabilityHandle A1x;
        public readonly CapabilityHandle A1y;
        public readonly CapabilityHandle A1y1;
        public readonly CapabilityHandle A2;
        public readonly CapabilityHandle A2x;
        public readonly CapabilityHandle OtherRoot;

        public Forest()
        {
            Root = Owner.Grant(new Dog(), CapabilityRights.All);
            A1 = Owner.Derive(Root, CapabilityRights.All, A);
            A1x = A.Derive(A1, CapabilityRights.Read, B);
            A1y = A.Derive(A1, CapabilityRights.All, C);
            A1y1 = C.Derive(A1y, CapabilityRights.Read, A);
            A2 = Owner.Derive(Root, CapabilityRights.All, B);
            A2x = B.Derive(A2, CapabilityRights.Read, B);
            OtherRoot = A.Grant(new Document(), CapabilityRights.All);
        }

        public CapabilityTable[] Tables => [Owner, A, B, C];

        public CapabilityStatus Status(CapabilityTable table, CapabilityHandle handle)
            => table.TryResolve(handle, CapabilityRights.None, out object? _);
    }

    [Fact]
    public void RevokeKillsTheWholeSubtreeAcrossTablesAndKeepsTheCapabilityItself()
    {
        var f = new Forest();

        f.A.Revoke(f.A1);

        Assert.Equal(CapabilityStatus.Ok, f.Status(f.A, f.A1));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.B, f.A1x));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.C, f.A1y));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.A, f.A1y1));
        var ex = Assert.Throws<StaleCapabilityException>(() => f.B.Resolve<Dog>(f.A1x, CapabilityRights.Read));
        Assert.Contains("revoked", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RevokeLeavesSiblingsAncestorsAndOtherTreesAlone()
    {
        var f = new Forest();

        f.A.Revoke(f.A1);

        Assert.Equal(CapabilityStatus.Ok, f.Status(f.Owner, f.Root));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.B, f.A2));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.B, f.A2x));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.A, f.OtherRoot));
        Assert.Equal(1, f.Owner.Count);
        Assert.Equal(2, f.A.Count);
        Assert.Equal(2, f.B.Count);
        Assert.Equal(0, f.C.Count);
        foreach (CapabilityTable table in f.Tables)
        {
            table.CheckInvariants();
        }
    }

    [Fact]
    public void RevokedCapabilityCanDeriveAgain()
    {
        var f = new Forest();
        f.A.Revoke(f.A1);

        CapabilityHandle fresh = f.A.Derive(f.A1, CapabilityRights.Read, f.C);

        Assert.Equal(CapabilityStatus.Ok, f.Status(f.C, fresh));
        f.Owner.Revoke(f.Root);
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.C, fresh));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.A, f.A1));
    }

    [Fact]
    public void RevokingTheRootKillsEveryDescendantAndFreesTheirSlots()
    {
        var f = new Forest();

        f.Owner.Revoke(f.Root);

        Assert.Equal(1, f.Owner.Count);
        Assert.Equal(1, f.A.Count);
        Assert.Equal(0, f.B.Count);
        Assert.Equal(0, f.C.Count);
        foreach (CapabilityTable table in f.Tables)
        {
            table.CheckInvariants();
        }
    }

    [Fact]
    public void RevokeNeedsTheRevokeRight()
    {
        var f = new Forest();
        CapabilityHandle noRevoke = f.A.Derive(f.A1, CapabilityRights.Read | CapabilityRights.Grant);
        CapabilityHandle below = f.A.Derive(noRevoke, CapabilityRights.Read);

        var ex = Assert.Throws<CapabilityRightsException>(() => f.A.Revoke(noRevoke));

        Assert.Contains("missing: [Revoke]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.A, below));
    }

    [Fact]
    public void RevokeOfALeafChangesNothingElse()
    {
        var f = new Forest();
        int[] before = f.Tables.Select(t => t.Count).ToArray();

        f.A.Revoke(f.OtherRoot);

        Assert.Equal(before, f.Tables.Select(t => t.Count).ToArray());
    }

    [Fact]
    public void DeleteKillsTheCapabilityAndItsSubtreeButNotItsParentOrSiblings()
    {
        var f = new Forest();

        f.A.Delete(f.A1);

        Assert.Equal(CapabilityStatus.Stale, f.Status(f.A, f.A1));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.B, f.A1x));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.C, f.A1y));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.A, f.A1y1));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.Owner, f.Root));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.B, f.A2));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.B, f.A2x));
        Assert.Equal(1, f.A.Count);
        foreach (CapabilityTable table in f.Tables)
        {
            table.CheckInvariants();
        }
    }

    [Fact]
    public void DeleteNeedsNoRights()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle handle = table.Grant(new Dog(), CapabilityRights.None);

        table.Delete(handle);

        Assert.Equal(0, table.Count);
        Assert.Throws<StaleCapabilityException>(() => table.Delete(handle));
    }

    [Fact]
    public void DeletedSlotIsReusedAndCountStaysExact()
    {
        var table = new CapabilityTable(2);
        CapabilityHandle a = table.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle b = table.Derive(a, CapabilityRights.Read);
        Assert.Throws<CapabilityTableFullException>(() => table.Grant(new Dog(), CapabilityRights.All));

        table.Revoke(a);
        CapabilityHandle c = table.Grant(new Dog(), CapabilityRights.All);

        Assert.Equal(2, table.Count);
        Assert.Equal(CapabilityStatus.Stale, table.TryResolve(b, CapabilityRights.None, out object? _));
        Assert.Equal(CapabilityStatus.Ok, table.TryResolve(c, CapabilityRights.None, out object? _));
    }

    [Fact]
    public void ClearDeletesEveryCapabilityOfTheTableWithTheirDescendantsElsewhere()
    {
        var f = new Forest();

        f.A.Clear();

        Assert.Equal(0, f.A.Count);
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.B, f.A1x));
        Assert.Equal(CapabilityStatus.Stale, f.Status(f.C, f.A1y));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.Owner, f.Root));
        Assert.Equal(CapabilityStatus.Ok, f.Status(f.B, f.A2));
        var ex = Assert.Throws<StaleCapabilityException>(() => f.A.Resolve<Document>(f.OtherRoot, CapabilityRights.None));
        Assert.Contains("cleared", ex.Message, StringComparison.Ordinal);
        foreach (CapabilityTable table in f.Tables)
        {
            table.CheckInvariants();
        }
    }

    [Fact]
    public void ClearedTableCanBeRefilled()
    {
        var owner = new CapabilityTable(4, "owner");
        var fwp = new CapabilityTable(3, "fwp");
        CapabilityHandle root = owner.Grant(new Dog(), CapabilityRights.All);

        for (int round = 0; round < 100; round++)
        {
            for (int i = 0; i < 3; i++)
            {
                owner.Derive(root, CapabilityRights.Read, fwp);
            }

            Assert.Equal(3, fwp.Count);
            fwp.Clear();
            Assert.Equal(0, fwp.Count);
        }

        fwp.CheckInvariants();
        owner.CheckInvariants();
    }

    [Fact]
    public void DeepChainIsRevokedWithoutRecursion()
    {
        var table = new CapabilityTable(100_001);
        CapabilityHandle root = table.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle last = root;
        for (int i = 0; i < 100_000; i++)
        {
            last = table.Derive(last, CapabilityRights.All);
        }

        table.Revoke(root);

        Assert.Equal(1, table.Count);
        Assert.Equal(CapabilityStatus.Stale, table.TryResolve(last, CapabilityRights.None, out object? _));
        table.CheckInvariants();
    }
}
