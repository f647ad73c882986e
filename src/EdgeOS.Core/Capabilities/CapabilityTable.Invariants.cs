using EdgeOS.Core.Capabilities.Internal;

namespace EdgeOS.Core.Capabilities;

public sealed partial class CapabilityTable
{
    /// <summary>
    /// Verifies the table's bookkeeping and the tree links of its capabilities; throws
    /// <see cref="InvalidOperationException"/> naming the first broken invariant. For tests, on a quiescent table.
    /// </summary>
    internal void CheckInvariants()
    {
        lock (_lock)
        {
            CapabilitySlot[] slots = _slots;
            int live = 0;
            for (int slot = 0; slot < slots.Length; slot++)
            {
                CapabilityNode? node = slots[slot].Node;
                if (node is null)
                {
                    continue;
                }

                Require(slot >= 1 && slot <= _slotsTouched, $"slot {slot} holds a node but was never handed out");
                Require(node.IsLive, $"slot {slot} holds a dead node");
                Require(ReferenceEquals(node.Table, this), $"slot {slot} holds a node of another table");
                Require(node.Slot == slot, $"slot {slot} holds a node for slot {node.Slot}");
                Require(CapabilityHandleLayout.Tag(node.Handle) == _tag, $"slot {slot} holds a node with a foreign tag");
                Require(CapabilityHandleLayout.Generation(node.Handle) == slots[slot].Generation, $"slot {slot} generation mismatch");
                CheckTreeLinks(node);
                live++;
            }

            Require(live == _count, $"count {_count} but {live} live nodes");
            var free = new HashSet<int>();
            for (int i = 0; i < _freeCount; i++)
            {
                int slot = _freeSlots[i];
                Require(slot >= 1 && slot <= _slotsTouched, $"free slot {slot} out of range");
                Require(free.Add(slot), $"free slot {slot} listed twice");
                Require(slots[slot].Node is null, $"free slot {slot} is occupied");
                Require(slots[slot].Generation <= CapabilityHandleLayout.GenerationMax, $"free slot {slot} is retired");
            }

            Require(_slotsTouched == _count + _freeCount + _retiredCount, "touched slots != live + free + retired");
        }
    }

    private static void CheckTreeLinks(CapabilityNode node)
    {
        if (node.Parent is { } parent)
        {
            Require(parent.IsLive, "a live node has a dead parent");
            Require(parent.TreeLock == node.TreeLock, "a node and its parent have different tree locks");
            bool found = false;
            for (CapabilityNode? sibling = parent.FirstChild; sibling is not null; sibling = sibling.NextSibling)
            {
                found |= ReferenceEquals(sibling, node);
            }

            Require(found, "a node is missing from its parent's children");
        }
        else
        {
            Require(node.PreviousSibling is null && node.NextSibling is null, "a root has siblings");
        }

        CapabilityNode? previous = null;
        for (CapabilityNode? child = node.FirstChild; child is not null; child = child.NextSibling)
        {
            Require(ReferenceEquals(child.Parent, node), "a child does not point back to its parent");
            Require(ReferenceEquals(child.PreviousSibling, previous), "sibling links are inconsistent");
            Require(child.IsLive, "a live node has a dead child");
            previous = child;
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Capability table invariant broken: " + what + ".");
        }
    }
}
