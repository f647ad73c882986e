using EdgeOS.Core.Capabilities;

namespace EdgeOS.Core.Tests.Capabilities;

internal class Animal
{
    public override string ToString() => "SECRET-ANIMAL-STATE";
}

internal sealed class Dog : Animal;

internal sealed class Document
{
    public override string ToString() => "SECRET-DOCUMENT-STATE";
}

internal interface IPort;

internal sealed class Port : IPort;

/// <summary>Records everything observable about a set of tables and handles, to prove a failed call changed nothing.</summary>
internal sealed class CapabilitySnapshot : IEquatable<CapabilitySnapshot>
{
    private readonly List<(int Count, int Retired)> _tables = [];
    private readonly List<(CapabilityStatus Status, CapabilityRights Rights, object? Target)> _handles = [];

    public CapabilitySnapshot(IEnumerable<CapabilityTable> tables, IEnumerable<(CapabilityTable Table, CapabilityHandle Handle)> handles)
    {
        foreach (CapabilityTable table in tables)
        {
            table.CheckInvariants();
            _tables.Add((table.Count, table.RetiredSlotCount));
        }

        foreach ((CapabilityTable table, CapabilityHandle handle) in handles)
        {
            CapabilityStatus status = table.TryResolve(handle, CapabilityRights.None, out object? target);
            CapabilityRights rights = status == CapabilityStatus.Ok ? table.GetRights(handle) : CapabilityRights.None;
            _handles.Add((status, rights, target));
        }
    }

    public bool Equals(CapabilitySnapshot? other)
        => other is not null
           && _tables.SequenceEqual(other._tables)
           && _handles.Count == other._handles.Count
           && _handles.Zip(other._handles).All(p => p.First.Status == p.Second.Status
                                                    && p.First.Rights == p.Second.Rights
                                                    && ReferenceEquals(p.First.Target, p.Second.Target));

    public override bool Equals(object? obj) => Equals(obj as CapabilitySnapshot);

    public override int GetHashCode() => _tables.Count;
}
