using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

/// <summary>Every refused operation throws its specific exception and leaves every table exactly as it was.</summary>
public sealed class CapabilityBadInputTests
{
    private readonly CapabilityTable _owner = new(4, "owner");
    private readonly CapabilityTable _client = new(2, "client");
    private readonly CapabilityTable _stranger = new(4, "stranger");
    private readonly CapabilityHandle _root;
    private readonly CapabilityHandle _readOnly;
    private readonly CapabilityHandle _given;
    private readonly CapabilityHandle _clientFiller;
    private readonly CapabilityHandle _dead;
    private readonly CapabilityHandle _foreign;

    public CapabilityBadInputTests()
    {
        _root = _owner.Grant(new Dog(), CapabilityRights.Read | CapabilityRights.Write | CapabilityRights.Grant | CapabilityRights.Revoke);
        _readOnly = _owner.Derive(_root, CapabilityRights.Read);
        _given = _owner.Derive(_root, CapabilityRights.Read | CapabilityRights.Grant, _client);
        _clientFiller = _client.Grant(new Document(), CapabilityRights.All);
        _dead = _owner.Derive(_root, CapabilityRights.Read);
        _owner.Delete(_dead);
        _foreign = _stranger.Grant(new Dog(), CapabilityRights.All);
    }

    public static TheoryData<string> Cases() =>
    [
        "resolve default", "resolve foreign", "resolve dead", "resolve without right", "resolve wrong type",
        "derive from default", "derive from foreign", "derive from dead", "derive without grant", "derive amplified",
        "derive reserved bits", "derive into full table", "grant into full table", "grant null", "grant reserved bits",
        "transfer dead", "transfer without grant", "transfer to same table", "transfer into full table",
        "transfer foreign", "revoke without revoke right", "revoke dead", "revoke foreign", "delete dead",
        "delete foreign", "get rights of dead",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void RefusedOperationThrowsItsExceptionAndChangesNothing(string name)
    {
        CapabilitySnapshot before = Snapshot();

        Exception ex = name switch
        {
            "resolve default" => Assert.Throws<InvalidCapabilityException>(() => _owner.Resolve<Dog>(default, CapabilityRights.None)),
            "resolve foreign" => Assert.Throws<InvalidCapabilityException>(() => _owner.Resolve<Dog>(_foreign, CapabilityRights.None)),
            "resolve dead" => Assert.Throws<StaleCapabilityException>(() => _owner.Resolve<Dog>(_dead, CapabilityRights.None)),
            "resolve without right" => Assert.Throws<CapabilityRightsException>(() => _owner.Resolve<Dog>(_readOnly, CapabilityRights.Write)),
            "resolve wrong type" => Assert.Throws<CapabilityTypeMismatchException>(() => _owner.Resolve<Document>(_root, CapabilityRights.Read)),
            "derive from default" => Assert.Throws<InvalidCapabilityException>(() => _owner.Derive(default, CapabilityRights.Read)),
            "derive from foreign" => Assert.Throws<InvalidCapabilityException>(() => _owner.Derive(_foreign, CapabilityRights.Read)),
            "derive from dead" => Assert.Throws<StaleCapabilityException>(() => _owner.Derive(_dead, CapabilityRights.Read)),
            "derive without grant" => Assert.Throws<CapabilityRightsException>(() => _owner.Derive(_readOnly, CapabilityRights.Read)),
            "derive amplified" => Assert.Throws<CapabilityRightsException>(() => _owner.Derive(_root, CapabilityRights.Execute)),
            "derive reserved bits" => Assert.Throws<ArgumentException>(() => _owner.Derive(_root, (CapabilityRights)0x100)),
            "derive into full table" => Assert.Throws<CapabilityTableFullException>(() => _owner.Derive(_root, CapabilityRights.Read, _client)),
            "grant into full table" => Assert.Throws<CapabilityTableFullException>(() => _client.Grant(new Dog(), CapabilityRights.Read)),
            "grant null" => Assert.Throws<ArgumentNullException>(() => _owner.Grant(null!, CapabilityRights.Read)),
            "grant reserved bits" => Assert.Throws<ArgumentException>(() => _owner.Grant(new Dog(), (CapabilityRights)0x8000)),
            "transfer dead" => Assert.Throws<StaleCapabilityException>(() => _owner.Transfer(_dead, _stranger)),
            "transfer without grant" => Assert.Throws<CapabilityRightsException>(() => _owner.Transfer(_readOnly, _stranger)),
            "transfer to same table" => Assert.Throws<ArgumentException>(() => _owner.Transfer(_root, _owner)),
            "transfer into full table" => Assert.Throws<CapabilityTableFullException>(() => _owner.Transfer(_root, _client)),
            "transfer foreign" => Assert.Throws<InvalidCapabilityException>(() => _owner.Transfer(_foreign, _client)),
            "revoke without revoke right" => Assert.Throws<CapabilityRightsException>(() => _client.Revoke(_given)),
            "revoke dead" => Assert.Throws<StaleCapabilityException>(() => _owner.Revoke(_dead)),
            "revoke foreign" => Assert.Throws<InvalidCapabilityException>(() => _client.Revoke(_root)),
            "delete dead" => Assert.Throws<StaleCapabilityException>(() => _owner.Delete(_dead)),
            "delete foreign" => Assert.Throws<InvalidCapabilityException>(() => _client.Delete(_root)),
            "get rights of dead" => Assert.Throws<StaleCapabilityException>(() => _owner.GetRights(_dead)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void TableFullMessageNamesTheTableAndItsBound()
    {
        var ex = Assert.Throws<CapabilityTableFullException>(() => _client.Grant(new Dog(), CapabilityRights.Read));

        Assert.Contains("'client'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 capabilities in 2 slots", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StaleMessageNamesSlotAndGeneration()
    {
        var ex = Assert.Throws<StaleCapabilityException>(() => _owner.Resolve<Dog>(_dead, CapabilityRights.None));

        Assert.Matches(@"slot \d+, generation \d+ in table 'owner' is stale: it was deleted\.", ex.Message);
    }

    [Fact]
    public void EveryCapabilityExceptionIsACapabilityException()
    {
        Assert.IsAssignableFrom<CapabilityException>(new InvalidCapabilityException("x"));
        Assert.IsAssignableFrom<CapabilityException>(new StaleCapabilityException("x"));
        Assert.IsAssignableFrom<CapabilityException>(new CapabilityRightsException("x"));
        Assert.IsAssignableFrom<CapabilityException>(new CapabilityTableFullException("x"));
        Assert.IsAssignableFrom<CapabilityException>(new CapabilityTypeMismatchException("x", new InvalidOperationException()));
    }

    private CapabilitySnapshot Snapshot()
        => new(
            [_owner, _client, _stranger],
            [
                (_owner, _root), (_owner, _readOnly), (_client, _given), (_client, _clientFiller), (_owner, _dead),
                (_stranger, _foreign), (_owner, _foreign), (_client, _root),
            ]);
}
