using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

public sealed class CapabilityTableTests
{
    [Fact]
    public void GrantedCapabilityResolvesToItsObject()
    {
        var table = new CapabilityTable(16, "fwp-1");
        var dog = new Dog();

        CapabilityHandle handle = table.Grant(dog, CapabilityRights.Read | CapabilityRights.Write);

        Assert.False(handle.IsNull);
        Assert.Same(dog, table.Resolve<Dog>(handle, CapabilityRights.Read));
        Assert.Same(dog, table.Resolve<Animal>(handle, CapabilityRights.Read | CapabilityRights.Write));
        Assert.Same(dog, table.Resolve<object>(handle, CapabilityRights.None));
        Assert.Equal(CapabilityStatus.Ok, table.TryResolve(handle, CapabilityRights.Write, out Dog? resolved));
        Assert.Same(dog, resolved);
        Assert.Equal(CapabilityRights.Read | CapabilityRights.Write, table.GetRights(handle));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void InterfaceTypedResolveWorks()
    {
        var table = new CapabilityTable(4);
        var port = new Port();
        CapabilityHandle handle = table.Grant(port, CapabilityRights.Send);

        Assert.Same(port, table.Resolve<IPort>(handle, CapabilityRights.Send));
    }

    [Fact]
    public void GrantingTheSameObjectTwiceMakesIndependentRoots()
    {
        var table = new CapabilityTable(8);
        var dog = new Dog();
        CapabilityHandle first = table.Grant(dog, CapabilityRights.All);
        CapabilityHandle second = table.Grant(dog, CapabilityRights.Read);

        Assert.NotEqual(first, second);
        table.Delete(first);

        Assert.Same(dog, table.Resolve<Dog>(second, CapabilityRights.Read));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void ResolveWithMissingRightThrowsAndNamesTheRights()
    {
        var table = new CapabilityTable(4, "fwp-rights");
        CapabilityHandle handle = table.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Send);

        var ex = Assert.Throws<CapabilityRightsException>(() => table.Resolve<Dog>(handle, CapabilityRights.Read | CapabilityRights.Write));

        Assert.Contains("'fwp-rights'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("slot 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("generation", ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing: [Write]", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CapabilityStatus.InsufficientRights, table.TryResolve(handle, CapabilityRights.Write, out Dog? none));
        Assert.Null(none);
    }

    [Fact]
    public void ResolveAsWrongTypeThrowsTypeMismatchWithoutLeakingTheObject()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle handle = table.Grant(new Document(), CapabilityRights.Read);

        var ex = Assert.Throws<CapabilityTypeMismatchException>(() => table.Resolve<Dog>(handle, CapabilityRights.Read));

        Assert.Contains(typeof(Document).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Dog).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CapabilityStatus.WrongType, table.TryResolve(handle, CapabilityRights.Read, out Dog? none));
        Assert.Null(none);
    }

    [Fact]
    public void RightsCheckComesBeforeTypeCheck()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle handle = table.Grant(new Document(), CapabilityRights.Read);

        Assert.Throws<CapabilityRightsException>(() => table.Resolve<Dog>(handle, CapabilityRights.Write));
        Assert.Equal(CapabilityStatus.InsufficientRights, table.TryResolve(handle, CapabilityRights.Write, out Dog? _));
    }

    [Fact]
    public void DerivedCapabilityHasOnlyTheRightsAskedFor()
    {
        var table = new CapabilityTable(8);
        var dog = new Dog();
        CapabilityHandle root = table.Grant(dog, CapabilityRights.Read | CapabilityRights.Write | CapabilityRights.Grant);

        CapabilityHandle readOnly = table.Derive(root, CapabilityRights.Read);

        Assert.Equal(CapabilityRights.Read, table.GetRights(readOnly));
        Assert.Same(dog, table.Resolve<Dog>(readOnly, CapabilityRights.Read));
        Assert.Throws<CapabilityRightsException>(() => table.Resolve<Dog>(readOnly, CapabilityRights.Write));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void DeriveIntoAnotherTableGivesAHandleValidOnlyThere()
    {
        var owner = new CapabilityTable(8, "owner");
        var client = new CapabilityTable(8, "client");
        var dog = new Dog();
        CapabilityHandle root = owner.Grant(dog, CapabilityRights.All);

        CapabilityHandle given = owner.Derive(root, CapabilityRights.Read, client);

        Assert.Same(dog, client.Resolve<Dog>(given, CapabilityRights.Read));
        Assert.Throws<InvalidCapabilityException>(() => owner.Resolve<Dog>(given, CapabilityRights.Read));
        Assert.Equal(1, owner.Count);
        Assert.Equal(1, client.Count);
    }

    [Fact]
    public void DeriveWithMoreRightsThanTheSourceIsRefusedAsAmplification()
    {
        var table = new CapabilityTable(8, "amp");
        CapabilityHandle root = table.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Grant);
        var snapshot = new CapabilitySnapshot([table], [(table, root)]);

        var ex = Assert.Throws<CapabilityRightsException>(() => table.Derive(root, CapabilityRights.Read | CapabilityRights.Write));

        Assert.Contains("would add [Write]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(snapshot, new CapabilitySnapshot([table], [(table, root)]));
    }

    [Fact]
    public void AmplificationThroughAChainIsImpossible()
    {
        var table = new CapabilityTable(8);
        CapabilityHandle root = table.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Write | CapabilityRights.Grant);
        CapabilityHandle middle = table.Derive(root, CapabilityRights.Read | CapabilityRights.Grant);

        Assert.Throws<CapabilityRightsException>(() => table.Derive(middle, CapabilityRights.Read | CapabilityRights.Write));
        CapabilityHandle leaf = table.Derive(middle, CapabilityRights.Read);
        Assert.Equal(CapabilityRights.Read, table.GetRights(leaf));
    }

    [Fact]
    public void DeriveWithoutTheGrantRightIsRefused()
    {
        var table = new CapabilityTable(8);
        CapabilityHandle root = table.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Write);

        var ex = Assert.Throws<CapabilityRightsException>(() => table.Derive(root, CapabilityRights.Read));

        Assert.Contains("missing: [Grant]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void ApplicationDefinedRightsAttenuateLikeSystemRights()
    {
        var table = new CapabilityTable(8);
        const CapabilityRights Flush = CapabilityRights.User0;
        const CapabilityRights Stats = CapabilityRights.User15;
        CapabilityHandle root = table.Grant(new Dog(), Flush | Stats | CapabilityRights.Grant);

        CapabilityHandle statsOnly = table.Derive(root, Stats);

        Assert.NotNull(table.Resolve<Dog>(statsOnly, Stats));
        Assert.Throws<CapabilityRightsException>(() => table.Resolve<Dog>(statsOnly, Flush));
        Assert.Throws<CapabilityRightsException>(() => table.Derive(root, CapabilityRights.User1));
    }

    [Fact]
    public void ReservedRightBitsAreRefused()
    {
        var table = new CapabilityTable(8);
        CapabilityHandle root = table.Grant(new Dog(), CapabilityRights.All);

        Assert.Throws<ArgumentException>(() => table.Grant(new Dog(), (CapabilityRights)(1u << 8)));
        Assert.Throws<ArgumentException>(() => table.Derive(root, (CapabilityRights)(1u << 15)));
        Assert.Equal(1, table.Count);
        Assert.Equal(0u, (uint)CapabilityRights.All & 0xFF00u);
    }

    [Fact]
    public void GrantOfNullTargetIsRefused()
    {
        var table = new CapabilityTable(8);

        Assert.Throws<ArgumentNullException>(() => table.Grant(null!, CapabilityRights.Read));
        Assert.Equal(0, table.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(CapabilityTable.SlotsMaxLimit + 1)]
    public void TableSizeOutsideTheAllowedRangeIsRefused(int slotsMax)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CapabilityTable(slotsMax));

        Assert.Contains(CapabilityTable.SlotsMaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LargestTableSizeIsAccepted()
    {
        var table = new CapabilityTable(CapabilityTable.SlotsMaxLimit);

        Assert.Equal(CapabilityTable.SlotsMaxLimit, table.SlotsMax);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void TableGrowsUpToSlotsMaxAndKeepsEveryCapability()
    {
        var table = new CapabilityTable(1000);
        var targets = new Dog[1000];
        var handles = new CapabilityHandle[1000];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = new Dog();
            handles[i] = table.Grant(targets[i], CapabilityRights.Read);
        }

        for (int i = 0; i < targets.Length; i++)
        {
            Assert.Same(targets[i], table.Resolve<Dog>(handles[i], CapabilityRights.Read));
        }

        Assert.Equal(1000, table.Count);
        Assert.Throws<CapabilityTableFullException>(() => table.Grant(new Dog(), CapabilityRights.Read));
        table.CheckInvariants();
    }

    [Fact]
    public void HandleToStringShowsTheSlotButNotTheGenerationOrTag()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle handle = table.Grant(new Dog(), CapabilityRights.Read);
        ulong raw = handle.ToRawValue();

        string text = handle.ToString();

        Assert.Equal("CapabilityHandle(slot 1)", text);
        Assert.DoesNotContain(raw.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        Assert.Equal("CapabilityHandle(null)", default(CapabilityHandle).ToString());
    }

    [Fact]
    public void HandlesCompareByValue()
    {
        var table = new CapabilityTable(4);
        CapabilityHandle a = table.Grant(new Dog(), CapabilityRights.Read);
        CapabilityHandle b = table.Grant(new Dog(), CapabilityRights.Read);
        CapabilityHandle aCopy = CapabilityHandle.FromRawValue(a.ToRawValue());

        Assert.True(a == aCopy);
        Assert.False(a != aCopy);
        Assert.True(a.Equals((object)aCopy));
        Assert.Equal(a.GetHashCode(), aCopy.GetHashCode());
        Assert.NotEqual(a, b);
        Assert.True(CapabilityHandle.Null.IsNull);
        Assert.Equal(default, CapabilityHandle.Null);
    }

    [Fact]
    public void TableToStringNamesOwnerAndOccupancy()
    {
        var table = new CapabilityTable(64, "fwp-7");
        table.Grant(new Dog(), CapabilityRights.Read);

        Assert.Equal("CapabilityTable 'fwp-7' (1 of 64 slots in use)", table.ToString());
        Assert.Equal("fwp-7", table.OwnerName);
        Assert.Null(new CapabilityTable(1).OwnerName);
    }
}
