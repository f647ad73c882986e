using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Capabilities.Internal;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

public sealed class CapabilityForgeryTests
{
    [Fact]
    public void DefaultHandleIsInvalidEverywhere()
    {
        var table = new CapabilityTable(4, "t");
        table.Grant(new Dog(), CapabilityRights.All);

        var ex = Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(default, CapabilityRights.None));

        Assert.Contains("null (default)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CapabilityStatus.InvalidHandle, table.TryResolve(CapabilityHandle.Null, CapabilityRights.None, out Dog? _));
        Assert.Throws<InvalidCapabilityException>(() => table.Derive(default, CapabilityRights.None));
        Assert.Throws<InvalidCapabilityException>(() => table.Revoke(default));
        Assert.Throws<InvalidCapabilityException>(() => table.Delete(default));
        Assert.Throws<InvalidCapabilityException>(() => table.GetRights(default));
        Assert.Throws<InvalidCapabilityException>(() => table.Transfer(default, new CapabilityTable(4)));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void RandomHandleValuesAreRejected()
    {
        var table = new CapabilityTable(64, "t");
        var live = new List<CapabilityHandle>();
        for (int i = 0; i < 32; i++)
        {
            live.Add(table.Grant(new Dog(), CapabilityRights.All));
        }

        var random = new Random(1234);
        for (int i = 0; i < 100_000; i++)
        {
            var forged = CapabilityHandle.FromRawValue((ulong)random.NextInt64() ^ ((ulong)random.Next() << 40));
            if (live.Contains(forged))
            {
                continue;
            }

            Assert.NotEqual(CapabilityStatus.Ok, table.TryResolve(forged, CapabilityRights.None, out object? target));
            Assert.Null(target);
        }

        Assert.Equal(32, table.Count);
    }

    [Fact]
    public void HandleFromAnotherTableIsRejectedAsForeign()
    {
        var a = new CapabilityTable(4, "a");
        var b = new CapabilityTable(4, "b");
        CapabilityHandle inA = a.Grant(new Dog(), CapabilityRights.All);
        b.Grant(new Document(), CapabilityRights.All);

        var ex = Assert.Throws<InvalidCapabilityException>(() => b.Resolve<object>(inA, CapabilityRights.None));

        Assert.Contains("not issued by table 'b'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(CapabilityStatus.InvalidHandle, b.TryResolve(inA, CapabilityRights.None, out object? _));
        Assert.Throws<InvalidCapabilityException>(() => b.Delete(inA));
        Assert.Equal(1, a.Count);
        Assert.Equal(1, b.Count);
    }

    [Fact]
    public void HandleForTheSameSlotOfAnotherTableNeverResolves()
    {
        // Two tables whose first handles share slot and (by construction) generation differ only by tag.
        var a = new CapabilityTable(4, "a", tag: 0x1111, generationBase: 5);
        var b = new CapabilityTable(4, "b", tag: 0x2222, generationBase: 5);
        CapabilityHandle inA = a.Grant(new Dog(), CapabilityRights.All);
        CapabilityHandle inB = b.Grant(new Dog(), CapabilityRights.All);

        Assert.Equal(inA.ToRawValue() & 0xFFFF_FFFF_FFFFUL, inB.ToRawValue() & 0xFFFF_FFFF_FFFFUL);
        Assert.Equal(CapabilityStatus.InvalidHandle, b.TryResolve(inA, CapabilityRights.None, out object? _));
        Assert.Equal(CapabilityStatus.InvalidHandle, a.TryResolve(inB, CapabilityRights.None, out object? _));
    }

    [Fact]
    public void OutOfRangeSlotIsRejectedWithItsNumber()
    {
        var table = new CapabilityTable(8, "small", tag: 0x4242, generationBase: 9);
        table.Grant(new Dog(), CapabilityRights.All);
        var forged = CapabilityHandle.FromRawValue(CapabilityHandleLayout.Compose(0x4242, 9, 1000));
        var slotZero = CapabilityHandle.FromRawValue(CapabilityHandleLayout.Compose(0x4242, 9, 0));

        var ex = Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(forged, CapabilityRights.None));

        Assert.Contains("slot 1000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside table 'small'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(slotZero, CapabilityRights.None));
    }

    [Fact]
    public void GuessedGenerationOfAnUsedSlotIsRejectedAsNeverIssued()
    {
        var table = new CapabilityTable(8, "t", tag: 0x4242, generationBase: 100);
        CapabilityHandle real = table.Grant(new Dog(), CapabilityRights.All);
        var ahead = CapabilityHandle.FromRawValue(CapabilityHandleLayout.Compose(0x4242, 101, 1));
        var behind = CapabilityHandle.FromRawValue(CapabilityHandleLayout.Compose(0x4242, 99, 1));
        var unusedSlot = CapabilityHandle.FromRawValue(CapabilityHandleLayout.Compose(0x4242, 100, 2));

        Assert.Equal(CapabilityStatus.Ok, table.TryResolve(real, CapabilityRights.None, out object? _));
        var ex = Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(ahead, CapabilityRights.None));
        Assert.Contains("never issued", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(behind, CapabilityRights.None));
        Assert.Throws<InvalidCapabilityException>(() => table.Resolve<Dog>(unusedSlot, CapabilityRights.None));
    }

    [Fact]
    public void OldGenerationAfterSlotReuseIsStaleAndDoesNotReachTheNewObject()
    {
        var table = new CapabilityTable(1, "one-slot");
        var first = new Dog();
        var second = new Dog();
        CapabilityHandle old = table.Grant(first, CapabilityRights.All);
        table.Delete(old);

        CapabilityHandle reused = table.Grant(second, CapabilityRights.All);

        Assert.Equal(old.ToRawValue() & CapabilityHandleLayout.SlotMask, reused.ToRawValue() & CapabilityHandleLayout.SlotMask);
        Assert.NotEqual(old, reused);
        var ex = Assert.Throws<StaleCapabilityException>(() => table.Resolve<Dog>(old, CapabilityRights.None));
        Assert.Contains("deleted", ex.Message, StringComparison.Ordinal);
        Assert.Same(second, table.Resolve<Dog>(reused, CapabilityRights.None));

        table.Delete(reused);
        table.Grant(new Dog(), CapabilityRights.All);
        var older = Assert.Throws<StaleCapabilityException>(() => table.Resolve<Dog>(old, CapabilityRights.None));
        Assert.Contains("reused 1 time", older.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SlotWhoseGenerationsAreExhaustedIsRetiredNotReused()
    {
        // A generation base just below the maximum exhausts the slot after two uses.
        var table = new CapabilityTable(1, "retire", tag: 0x0101, generationBase: CapabilityHandleLayout.GenerationMax - 1);
        CapabilityHandle first = table.Grant(new Dog(), CapabilityRights.All);
        table.Delete(first);
        CapabilityHandle second = table.Grant(new Dog(), CapabilityRights.All);
        table.Delete(second);

        var ex = Assert.Throws<CapabilityTableFullException>(() => table.Grant(new Dog(), CapabilityRights.All));

        Assert.Contains("retired", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, table.RetiredSlotCount);
        Assert.Equal(0, table.Count);
        Assert.Equal(CapabilityStatus.Stale, table.TryResolve(first, CapabilityRights.None, out object? _));
        Assert.Equal(CapabilityStatus.Stale, table.TryResolve(second, CapabilityRights.None, out object? _));
        table.CheckInvariants();
    }

    [Fact]
    public void HandleSurvivesRawValueRoundTrip()
    {
        var table = new CapabilityTable(4);
        var dog = new Dog();
        CapabilityHandle handle = table.Grant(dog, CapabilityRights.Read);

        var copy = CapabilityHandle.FromRawValue(handle.ToRawValue());

        Assert.Same(dog, table.Resolve<Dog>(copy, CapabilityRights.Read));
    }

    [Fact]
    public void TablesGetDifferentTags()
    {
        var tags = new HashSet<ushort>();
        for (int i = 0; i < 32; i++)
        {
            var table = new CapabilityTable(1);
            Assert.NotEqual(0, table.Tag);
            tags.Add(table.Tag);
            Assert.InRange(table.GenerationBase, 1u, CapabilityHandleLayout.GenerationBaseMax);
        }

        // 32 random 16-bit tags: a collision among them is possible but all equal is not.
        Assert.True(tags.Count > 16);
    }
}
