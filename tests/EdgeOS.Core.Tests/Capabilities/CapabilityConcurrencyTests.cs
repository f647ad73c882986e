using EdgeOS.Core.Capabilities;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

public sealed class CapabilityConcurrencyTests
{
    private const int ResolverCount = 3;

    /// <summary>
    /// Linearizability of revocation: resolvers read a flag that the revoking thread sets only after Revoke (or
    /// Delete) returned, then resolve. A resolve that saw the flag set started after the revocation and must fail
    /// as stale; it must never return the object. Barriers line every iteration up so each one is a fresh race.
    /// </summary>
    [Fact]
    public void ResolveThatStartsAfterRevokeReturnedNeverSucceeds()
    {
        const int Iterations = 1500;
        var owner = new CapabilityTable(4, "owner");
        var b = new CapabilityTable(4, "b");
        var c = new CapabilityTable(4, "c");
        var payload = new Dog();
        CapabilityHandle child = default;
        CapabilityHandle grandchild = default;
        int revoked = 0;
        int violations = 0;
        int wrongFailures = 0;
        string? firstWrongFailure = null;
        using var barrier = new Barrier(ResolverCount + 1);
        CancellationToken cancel = TestContext.Current.CancellationToken;

        void Resolver()
        {
            for (int i = 0; i < Iterations; i++)
            {
                barrier.SignalAndWait(cancel);
                int confirmations = 0;
                while (confirmations < 3)
                {
                    bool after = Volatile.Read(ref revoked) == 1;
                    CapabilityStatus s1 = b.TryResolve(child, CapabilityRights.Read, out Dog? d1);
                    CapabilityStatus s2 = c.TryResolve(grandchild, CapabilityRights.Read, out Dog? d2);
                    bool threw = false;
                    try
                    {
                        b.Resolve<Dog>(child, CapabilityRights.Read);
                    }
                    catch (StaleCapabilityException)
                    {
                        threw = true;
                    }
                    catch (Exception ex)
                    {
                        // Anything else is a bug; record it and keep the barriers in step so the test ends.
                        Interlocked.CompareExchange(ref firstWrongFailure, ex.Message, null);
                        Interlocked.Increment(ref wrongFailures);
                        threw = true;
                    }

                    if (after)
                    {
                        if (s1 == CapabilityStatus.Ok || s2 == CapabilityStatus.Ok || d1 is not null || d2 is not null || !threw)
                        {
                            Interlocked.Increment(ref violations);
                        }

                        if (s1 != CapabilityStatus.Stale || s2 != CapabilityStatus.Stale)
                        {
                            Interlocked.CompareExchange(ref firstWrongFailure, $"after revoke: {s1}, {s2}", null);
                            Interlocked.Increment(ref wrongFailures);
                        }

                        confirmations++;
                    }
                    else if ((s1 != CapabilityStatus.Ok && s1 != CapabilityStatus.Stale) || (s2 != CapabilityStatus.Ok && s2 != CapabilityStatus.Stale))
                    {
                        Interlocked.CompareExchange(ref firstWrongFailure, $"during revoke: {s1}, {s2}", null);
                        Interlocked.Increment(ref wrongFailures);
                    }
                }

                barrier.SignalAndWait(cancel);
            }
        }

        Thread[] threads = Enumerable.Range(0, ResolverCount).Select(_ => new Thread(Resolver) { IsBackground = true }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        var random = new Random(42);
        for (int i = 0; i < Iterations; i++)
        {
            CapabilityHandle root = owner.Grant(payload, CapabilityRights.All);
            CapabilityHandle childHandle = owner.Derive(root, CapabilityRights.Read | CapabilityRights.Grant, b);
            child = childHandle; // published to the resolvers by the barrier below
            grandchild = b.Derive(childHandle, CapabilityRights.Read, c);
            Volatile.Write(ref revoked, 0);

            barrier.SignalAndWait(cancel);
            Thread.SpinWait(random.Next(0, 2000));
            bool deleteInstead = (i & 1) == 1;
            if (deleteInstead)
            {
                owner.Delete(root);
            }
            else
            {
                owner.Revoke(root);
            }

            Volatile.Write(ref revoked, 1);
            barrier.SignalAndWait(cancel);
            if (!deleteInstead)
            {
                owner.Delete(root);
            }
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(0, violations);
        Assert.True(wrongFailures == 0, $"{wrongFailures} wrong failures, first: {firstWrongFailure}");
        Assert.Equal(0, owner.Count + b.Count + c.Count);
        owner.CheckInvariants();
        b.CheckInvariants();
        c.CheckInvariants();
    }

    /// <summary>
    /// Several threads grant, derive (into shared tables and from one shared root), transfer, delete, revoke the
    /// shared root and resolve at the same time. Afterwards every handle each thread holds must be live or stale,
    /// the live ones must be exactly what the tables count, and every table's invariants must hold.
    /// </summary>
    [Fact]
    public void ConcurrentMutationsKeepEveryTableConsistent()
    {
        const int ThreadCount = 4;
        const int OperationsPerThread = 20_000;
        var owner = new CapabilityTable(16, "owner");
        var shared1 = new CapabilityTable(CapabilityTable.SlotsMaxLimit, "shared1");
        var shared2 = new CapabilityTable(CapabilityTable.SlotsMaxLimit, "shared2");
        var privateTables = Enumerable.Range(0, ThreadCount).Select(i => new CapabilityTable(CapabilityTable.SlotsMaxLimit, "private" + i)).ToArray();
        var payload = new Dog();
        CapabilityHandle sharedRoot = owner.Grant(payload, CapabilityRights.All);
        var held = new List<(CapabilityTable Table, CapabilityHandle Handle)>[ThreadCount];
        var unexpected = new List<Exception>();
        using var start = new Barrier(ThreadCount);
        CancellationToken cancel = TestContext.Current.CancellationToken;

        void Worker(int id)
        {
            var random = new Random(1000 + id);
            var mine = new List<(CapabilityTable Table, CapabilityHandle Handle)>();
            held[id] = mine;
            CapabilityTable own = privateTables[id];
            start.SignalAndWait(cancel);
            for (int op = 0; op < OperationsPerThread; op++)
            {
                try
                {
                    int kind = random.Next(100);
                    if (kind < 15 || mine.Count == 0)
                    {
                        CapabilityHandle root = own.Grant(payload, CapabilityRights.All);
                        mine.Add((own, root));
                    }
                    else if (kind < 35)
                    {
                        CapabilityTable into = random.Next(2) == 0 ? shared1 : shared2;
                        mine.Add((into, owner.Derive(sharedRoot, CapabilityRights.All, into)));
                    }
                    else if (kind < 55)
                    {
                        (CapabilityTable table, CapabilityHandle h) = mine[random.Next(mine.Count)];
                        CapabilityTable into = random.Next(3) switch { 0 => shared1, 1 => shared2, _ => own };
                        mine.Add((into, table.Derive(h, CapabilityRights.Read | CapabilityRights.Grant | CapabilityRights.Revoke, into)));
                    }
                    else if (kind < 65)
                    {
                        int index = random.Next(mine.Count);
                        (CapabilityTable table, CapabilityHandle h) = mine[index];
                        CapabilityTable destination = table == shared1 ? shared2 : shared1;
                        mine[index] = (destination, table.Transfer(h, destination));
                    }
                    else if (kind < 78)
                    {
                        int index = random.Next(mine.Count);
                        (CapabilityTable table, CapabilityHandle h) = mine[index];
                        table.Delete(h);
                        mine.RemoveAt(index);
                    }
                    else if (kind < 80)
                    {
                        owner.Revoke(sharedRoot);
                    }
                    else if (kind < 84)
                    {
                        (CapabilityTable table, CapabilityHandle h) = mine[random.Next(mine.Count)];
                        table.Revoke(h);
                    }
                    else
                    {
                        (CapabilityTable table, CapabilityHandle h) = mine[random.Next(mine.Count)];
                        CapabilityStatus status = table.TryResolve(h, CapabilityRights.Read, out Dog? dog);
                        if (status == CapabilityStatus.Ok && !ReferenceEquals(dog, payload))
                        {
                            throw new InvalidOperationException("resolved to the wrong object");
                        }

                        if (status is not (CapabilityStatus.Ok or CapabilityStatus.Stale))
                        {
                            throw new InvalidOperationException("unexpected status " + status);
                        }
                    }
                }
                catch (StaleCapabilityException)
                {
                    // Another thread revoked the shared root under this thread's feet: expected.
                }
                catch (Exception ex)
                {
                    lock (unexpected)
                    {
                        unexpected.Add(ex);
                    }
                }

                // Forget handles that died, so the lists stay small.
                if (mine.Count > 64)
                {
                    mine.RemoveAll(e => e.Table.TryResolve(e.Handle, CapabilityRights.None, out object? _) != CapabilityStatus.Ok);
                }
            }
        }

        Thread[] threads = Enumerable.Range(0, ThreadCount).Select(i => new Thread(() => Worker(i)) { IsBackground = true }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(unexpected);
        CapabilityTable[] all = [owner, shared1, shared2, .. privateTables];
        foreach (CapabilityTable table in all)
        {
            table.CheckInvariants();
        }

        // Every live capability in the shared and private tables is held by exactly one thread.
        var liveByTable = all.ToDictionary(t => t, _ => 0);
        foreach ((CapabilityTable table, CapabilityHandle handle) in held.SelectMany(h => h))
        {
            CapabilityStatus status = table.TryResolve(handle, CapabilityRights.None, out object? _);
            Assert.True(status is CapabilityStatus.Ok or CapabilityStatus.Stale, $"handle in {table} is {status}");
            if (status == CapabilityStatus.Ok)
            {
                liveByTable[table]++;
            }
        }

        foreach (CapabilityTable table in all.Where(t => t != owner))
        {
            Assert.Equal(table.Count, liveByTable[table]);
        }

        foreach (CapabilityTable table in all)
        {
            table.Clear();
        }

        Assert.All(all, t => Assert.Equal(0, t.Count));
        Assert.All(all, t => t.CheckInvariants());
    }

    [Fact]
    public void ConcurrentGrantsFillATableExactlyToItsBound()
    {
        const int SlotsMax = 5000;
        var table = new CapabilityTable(SlotsMax, "contended");
        int granted = 0;
        int full = 0;
        var handles = new System.Collections.Concurrent.ConcurrentBag<CapabilityHandle>();

        Parallel.For(0, 4, new ParallelOptions { CancellationToken = TestContext.Current.CancellationToken }, _ =>
        {
            for (int i = 0; i < SlotsMax; i++)
            {
                try
                {
                    handles.Add(table.Grant(new Dog(), CapabilityRights.Read));
                    Interlocked.Increment(ref granted);
                }
                catch (CapabilityTableFullException)
                {
                    Interlocked.Increment(ref full);
                }
            }
        });

        Assert.Equal(SlotsMax, granted);
        Assert.Equal((4 * SlotsMax) - SlotsMax, full);
        Assert.Equal(SlotsMax, table.Count);
        Assert.Equal(SlotsMax, handles.Distinct().Count());
        Assert.All(handles, h => Assert.Equal(CapabilityStatus.Ok, table.TryResolve(h, CapabilityRights.Read, out Dog? _)));
        table.CheckInvariants();
    }
}
