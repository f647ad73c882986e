using BenchmarkDotNet.Attributes;
using EdgeOS.Core.Capabilities;

namespace EdgeOS.Benchmarks;

/// <summary>
/// Capability operations. Baseline: what a naive handle table does, a <see cref="Dictionary{TKey, TValue}"/> lookup
/// by integer id plus a type check, with no rights, no generation and no revocation.
/// Run: <c>dotnet run -c Release --project benchmarks/EdgeOS.Benchmarks -- --filter '*CapabilityBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class CapabilityBenchmarks
{
    private const int LiveCapabilities = 64;
    private const int SubtreeSize = 16;

    private readonly Dictionary<int, object> _dictionary = [];
    private readonly CapabilityTable _owner = new(1024, "owner");
    private readonly CapabilityTable _client = new(1024, "client");
    private readonly CapabilityTable _fwp = new(16, "fwp");
    private int _id;
    private CapabilityHandle _handle;
    private CapabilityHandle _stale;
    private CapabilityHandle _root;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < LiveCapabilities; i++)
        {
            var payload = new Payload();
            _dictionary[i * 7] = payload;
            _handle = _owner.Grant(payload, CapabilityRights.Read | CapabilityRights.Write);
        }

        _id = 7 * (LiveCapabilities / 2);
        _root = _owner.Grant(new Payload(), CapabilityRights.All);
        _stale = _owner.Derive(_root, CapabilityRights.Read, _client);
        _owner.Revoke(_root);
    }

    /// <summary>Naive handle table: dictionary lookup by id and a type check.</summary>
    [Benchmark(Baseline = true)]
    public Payload? DictionaryLookup() => _dictionary.TryGetValue(_id, out object? value) ? value as Payload : null;

    /// <summary>Checked resolve of a live capability (generation, liveness, rights, type).</summary>
    [Benchmark]
    public Payload Resolve() => _owner.Resolve<Payload>(_handle, CapabilityRights.Read);

    /// <summary>The non-throwing resolve, success path.</summary>
    [Benchmark]
    public Payload? TryResolve()
    {
        _owner.TryResolve(_handle, CapabilityRights.Read, out Payload? payload);
        return payload;
    }

    /// <summary>The non-throwing resolve of a revoked handle (the failure is classified: stale).</summary>
    [Benchmark]
    public CapabilityStatus TryResolveStale() => _client.TryResolve(_stale, CapabilityRights.Read, out Payload? _);

    /// <summary>Mint a root capability and delete it.</summary>
    [Benchmark]
    public void GrantDelete() => _owner.Delete(_owner.Grant(_dictionary, CapabilityRights.Read));

    /// <summary>Derive a capability into another table and delete it.</summary>
    [Benchmark]
    public void DeriveDelete() => _client.Delete(_owner.Derive(_root, CapabilityRights.Read, _client));

    /// <summary>Derive 16 capabilities (into two tables), then revoke them all through their parent.</summary>
    [Benchmark]
    public void Derive16ThenRevoke()
    {
        for (int i = 0; i < SubtreeSize; i++)
        {
            _owner.Derive(_root, CapabilityRights.Read, (i & 1) == 0 ? _client : _fwp);
        }

        _owner.Revoke(_root);
    }

    /// <summary>FWP recycle: reissue 4 capabilities into an instance's table, then clear it.</summary>
    [Benchmark]
    public void Reissue4ThenClear()
    {
        _owner.Derive(_root, CapabilityRights.Read, _fwp);
        _owner.Derive(_root, CapabilityRights.Send, _fwp);
        _owner.Derive(_root, CapabilityRights.Receive, _fwp);
        _owner.Derive(_root, CapabilityRights.Map, _fwp);
        _fwp.Clear();
    }

    /// <summary>The object the benchmark capabilities name.</summary>
    public sealed class Payload;
}
