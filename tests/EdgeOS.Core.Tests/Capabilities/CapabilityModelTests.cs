using EdgeOS.Core.Capabilities;
using EdgeOS.Core.Capabilities.Internal;
using Xunit;

namespace EdgeOS.Core.Tests.Capabilities;

/// <summary>
/// Model-based test: seeded random sequences of grant, derive, transfer, revoke, delete, clear and resolve over
/// four small tables, each step checked against a reference model made of plain collections. Every operation's
/// outcome (success or which exception) must match, and after every step every handle ever issued (and some
/// forged ones) must resolve, or fail, in every table exactly as the model says.
/// </summary>
public sealed class CapabilityModelTests
{
    private const int SequenceCount = 2000;
    private const int StepsPerSequence = 60;
    private const int TableCount = 4;
    private const ushort ForeignTag = 0x7777;

    private const CapabilityRights Universe =
        CapabilityRights.Read | CapabilityRights.Write | CapabilityRights.Send | CapabilityRights.Grant
        | CapabilityRights.Revoke | CapabilityRights.User0 | CapabilityRights.User1;

    private enum Outcome
    {
        Ok,
        Argument,
        Invalid,
        Stale,
        Rights,
        Full,
        WrongType,
    }

    [Fact]
    public void RandomOperationSequencesMatchTheReferenceModel()
    {
        for (int seed = 0; seed < SequenceCount; seed++)
        {
            new Sequence(seed).Run();
        }
    }

    private sealed class ModelCap
    {
        public required object Target { get; init; }

        public required CapabilityRights Rights { get; init; }

        public required int Table { get; set; }

        public required CapabilityHandle Handle { get; set; }

        public List<ModelCap> Children { get; } = [];

        public ModelCap? Parent { get; set; }

        public bool Alive { get; set; } = true;
    }

    private sealed class Sequence
    {
        private readonly int _seed;
        private readonly Random _random;
        private readonly CapabilityTable[] _tables = new CapabilityTable[TableCount];

        // Reference model: every handle ever issued, keyed by (issuing table, value), and the live capabilities.
        private readonly Dictionary<(int Table, ulong Value), ModelCap> _issued = [];
        private readonly List<(int Table, CapabilityHandle Handle)> _issuedOrder = [];
        private readonly List<ModelCap> _caps = [];
        private string _step = "setup";

        public Sequence(int seed)
        {
            _seed = seed;
            _random = new Random(seed);
            for (int i = 0; i < TableCount; i++)
            {
                int slotsMax = _random.Next(3, 10);
                uint generationBase = (uint)_random.Next(1, (int)CapabilityHandleLayout.GenerationBaseMax);
                _tables[i] = new CapabilityTable(slotsMax, "t" + i, (ushort)(0x1000 + (i * 0x111)), generationBase);
            }
        }

        public void Run()
        {
            for (int step = 0; step < StepsPerSequence; step++)
            {
                int kind = _random.Next(100);
                if (kind < 15)
                {
                    DoGrant();
                }
                else if (kind < 40)
                {
                    DoDerive();
                }
                else if (kind < 50)
                {
                    DoTransfer();
                }
                else if (kind < 58)
                {
                    DoRevoke();
                }
                else if (kind < 66)
                {
                    DoDelete();
                }
                else if (kind < 68)
                {
                    DoClear();
                }
                else if (kind < 72)
                {
                    DoGetRights();
                }
                else
                {
                    DoResolve();
                }

                _step = $"step {step}: {_step}";
                CheckEverything();
            }
        }

        private void DoGrant()
        {
            int t = _random.Next(TableCount);
            CapabilityRights rights = RandomRights(Universe);
            object target = _random.Next(2) == 0 ? new Dog() : new Document();
            _step = $"Grant(t{t}, {rights})";

            Outcome expected = HasReservedBits(rights) ? Outcome.Argument
                : LiveCount(t) == _tables[t].SlotsMax ? Outcome.Full
                : Outcome.Ok;
            CapabilityHandle handle = default;
            Outcome actual = Run(() => handle = _tables[t].Grant(target, rights));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                Issue(new ModelCap { Target = target, Rights = rights, Table = t, Handle = handle });
            }
        }

        private void DoDerive()
        {
            (int t, CapabilityHandle source) = PickHandle();
            int into = _random.Next(TableCount);
            ModelCap? cap = Find(t, source);
            CapabilityRights rights = _random.Next(4) != 0 && cap is not null ? RandomRights(cap.Rights) : RandomRights(Universe);
            _step = $"Derive(t{t}, {Describe(t, source)}, {rights}, into t{into})";

            Outcome expected = HasReservedBits(rights) ? Outcome.Argument : Lookup(t, source);
            if (expected == Outcome.Ok)
            {
                expected = (cap!.Rights & CapabilityRights.Grant) == 0 ? Outcome.Rights
                    : (rights & ~cap.Rights) != 0 ? Outcome.Rights
                    : LiveCount(into) == _tables[into].SlotsMax ? Outcome.Full
                    : Outcome.Ok;
            }

            CapabilityHandle child = default;
            Outcome actual = Run(() => child = _tables[t].Derive(source, rights, _random.Next(3) == 0 && into == t ? null : _tables[into]));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                var childCap = new ModelCap { Target = cap!.Target, Rights = rights, Table = into, Handle = child, Parent = cap };
                cap.Children.Add(childCap);
                Issue(childCap);
            }
        }

        private void DoTransfer()
        {
            (int t, CapabilityHandle handle) = PickHandle();
            int destination = _random.Next(TableCount);
            ModelCap? cap = Find(t, handle);
            _step = $"Transfer(t{t}, {Describe(t, handle)}, to t{destination})";

            Outcome expected = destination == t ? Outcome.Argument : Lookup(t, handle);
            if (expected == Outcome.Ok)
            {
                expected = (cap!.Rights & CapabilityRights.Grant) == 0 ? Outcome.Rights
                    : LiveCount(destination) == _tables[destination].SlotsMax ? Outcome.Full
                    : Outcome.Ok;
            }

            CapabilityHandle moved = default;
            Outcome actual = Run(() => moved = _tables[t].Transfer(handle, _tables[destination]));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                cap!.Table = destination;
                cap.Handle = moved;
                _issued.Add((destination, moved.ToRawValue()), cap);
                _issuedOrder.Add((destination, moved));
            }
        }

        private void DoRevoke()
        {
            (int t, CapabilityHandle handle) = PickHandle();
            ModelCap? cap = Find(t, handle);
            _step = $"Revoke(t{t}, {Describe(t, handle)})";

            Outcome expected = Lookup(t, handle);
            if (expected == Outcome.Ok && (cap!.Rights & CapabilityRights.Revoke) == 0)
            {
                expected = Outcome.Rights;
            }

            Outcome actual = Run(() => _tables[t].Revoke(handle));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                KillDescendants(cap!);
            }
        }

        private void DoDelete()
        {
            (int t, CapabilityHandle handle) = PickHandle();
            ModelCap? cap = Find(t, handle);
            _step = $"Delete(t{t}, {Describe(t, handle)})";

            Outcome expected = Lookup(t, handle);
            Outcome actual = Run(() => _tables[t].Delete(handle));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                Kill(cap!);
            }
        }

        private void DoClear()
        {
            int t = _random.Next(TableCount);
            _step = $"Clear(t{t})";

            Outcome actual = Run(() => _tables[t].Clear());
            Expect(Outcome.Ok, actual);
            foreach (ModelCap cap in _caps.Where(c => c.Alive && c.Table == t).ToList())
            {
                if (cap.Alive)
                {
                    Kill(cap);
                }
            }
        }

        private void DoGetRights()
        {
            (int t, CapabilityHandle handle) = PickHandle();
            _step = $"GetRights(t{t}, {Describe(t, handle)})";

            Outcome expected = Lookup(t, handle);
            CapabilityRights rights = default;
            Outcome actual = Run(() => rights = _tables[t].GetRights(handle));
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                Check(rights == Find(t, handle)!.Rights, $"GetRights returned {rights}");
            }
        }

        private void DoResolve()
        {
            (int t, CapabilityHandle handle) = PickHandle();
            ModelCap? cap = Find(t, handle);
            CapabilityRights required = _random.Next(3) == 0 ? CapabilityRights.None : RandomRights(Universe);
            int type = _random.Next(4);
            _step = $"Resolve<{TypeName(type)}>(t{t}, {Describe(t, handle)}, {required})";

            Outcome expected = Lookup(t, handle);
            if (expected == Outcome.Ok)
            {
                expected = (cap!.Rights & required) != required ? Outcome.Rights
                    : !IsOfType(cap.Target, type) ? Outcome.WrongType
                    : Outcome.Ok;
            }

            CapabilityTable table = _tables[t];
            object? resolved = null;
            Outcome actual = Run(() => resolved = type switch
            {
                0 => table.Resolve<object>(handle, required),
                1 => table.Resolve<Animal>(handle, required),
                2 => table.Resolve<Dog>(handle, required),
                _ => table.Resolve<Document>(handle, required),
            });
            Expect(expected, actual);
            if (actual == Outcome.Ok)
            {
                Check(ReferenceEquals(resolved, cap!.Target), "Resolve returned another object");
            }

            // TryResolve reports the same outcome as a status.
            object? tried;
            CapabilityStatus status;
            switch (type)
            {
                case 0:
                    status = table.TryResolve(handle, required, out object? o);
                    tried = o;
                    break;
                case 1:
                    status = table.TryResolve(handle, required, out Animal? a);
                    tried = a;
                    break;
                case 2:
                    status = table.TryResolve(handle, required, out Dog? d);
                    tried = d;
                    break;
                default:
                    status = table.TryResolve(handle, required, out Document? doc);
                    tried = doc;
                    break;
            }

            Check(status == ToStatus(expected), $"TryResolve returned {status}, model expected {expected}");
            Check(ReferenceEquals(tried, expected == Outcome.Ok ? cap!.Target : null), "TryResolve returned the wrong object");
        }

        /// <summary>After every step: every issued handle in every table, the counts, and the tables' own invariants.</summary>
        private void CheckEverything()
        {
            for (int t = 0; t < TableCount; t++)
            {
                Check(_tables[t].Count == LiveCount(t), $"t{t}.Count is {_tables[t].Count}, model has {LiveCount(t)}");
                _tables[t].CheckInvariants();
                foreach ((int _, CapabilityHandle handle) in _issuedOrder)
                {
                    Outcome expected = Lookup(t, handle);
                    CapabilityStatus status = _tables[t].TryResolve(handle, CapabilityRights.None, out object? target);
                    Check(status == ToStatus(expected), $"{Describe(t, handle)} in t{t} is {status}, model says {expected}");
                    if (expected == Outcome.Ok)
                    {
                        ModelCap cap = Find(t, handle)!;
                        Check(ReferenceEquals(target, cap.Target), "live handle resolves to another object");
                        Check(_tables[t].GetRights(handle) == cap.Rights, "live handle has other rights");
                    }
                }

                CapabilityHandle forged = Forge(t);
                Check(
                    _tables[t].TryResolve(forged, CapabilityRights.None, out object? _) == CapabilityStatus.InvalidHandle,
                    $"forged handle {forged.ToRawValue():X16} was not rejected as invalid by t{t}");
            }
        }

        private (int Table, CapabilityHandle Handle) PickHandle()
        {
            if (_issuedOrder.Count > 0 && _random.Next(10) < 8)
            {
                (int table, CapabilityHandle handle) = _issuedOrder[_random.Next(_issuedOrder.Count)];
                return (_random.Next(5) == 0 ? _random.Next(TableCount) : table, handle);
            }

            int t = _random.Next(TableCount);
            return (t, Forge(t));
        }

        /// <summary>A handle table <paramref name="t"/> never issued: the model says Invalid for all of them.</summary>
        private CapabilityHandle Forge(int t)
        {
            CapabilityTable table = _tables[t];
            ulong value = _random.Next(5) switch
            {
                0 => 0,
                1 => CapabilityHandleLayout.Compose(ForeignTag, (uint)_random.Next(1, 1 << 27), _random.Next(1, 16)),
                2 => CapabilityHandleLayout.Compose(table.Tag, table.GenerationBase + 1_000_000, _random.Next(1, table.SlotsMax + 1)),
                3 => CapabilityHandleLayout.Compose(table.Tag, table.GenerationBase, table.SlotsMax + 1 + _random.Next(100)),
                _ => CapabilityHandleLayout.Compose(table.Tag, table.GenerationBase - 1, _random.Next(1, table.SlotsMax + 1)),
            };
            return CapabilityHandle.FromRawValue(value);
        }

        private void Issue(ModelCap cap)
        {
            _caps.Add(cap);
            _issued.Add((cap.Table, cap.Handle.ToRawValue()), cap);
            _issuedOrder.Add((cap.Table, cap.Handle));
        }

        private ModelCap? Find(int table, CapabilityHandle handle)
            => _issued.TryGetValue((table, handle.ToRawValue()), out ModelCap? cap) ? cap : null;

        private Outcome Lookup(int table, CapabilityHandle handle)
        {
            ModelCap? cap = Find(table, handle);
            if (cap is null)
            {
                return Outcome.Invalid;
            }

            return cap.Alive && cap.Table == table && cap.Handle == handle ? Outcome.Ok : Outcome.Stale;
        }

        private int LiveCount(int table) => _caps.Count(c => c.Alive && c.Table == table);

        private static void KillDescendants(ModelCap cap)
        {
            foreach (ModelCap child in cap.Children)
            {
                child.Alive = false;
                KillDescendants(child);
            }

            cap.Children.Clear();
        }

        private static void Kill(ModelCap cap)
        {
            KillDescendants(cap);
            cap.Alive = false;
            cap.Parent?.Children.Remove(cap);
        }

        private CapabilityRights RandomRights(CapabilityRights from)
        {
            if (_random.Next(25) == 0)
            {
                return from | (CapabilityRights)(1u << _random.Next(8, 16));
            }

            uint mask = (uint)from;
            uint result = 0;
            for (int bit = 0; bit < 32; bit++)
            {
                if ((mask & (1u << bit)) != 0 && _random.Next(3) != 0)
                {
                    result |= 1u << bit;
                }
            }

            return (CapabilityRights)result;
        }

        private static bool HasReservedBits(CapabilityRights rights) => (rights & ~CapabilityRights.All) != 0;

        private static bool IsOfType(object target, int type) => type switch
        {
            0 => true,
            1 => target is Animal,
            2 => target is Dog,
            _ => target is Document,
        };

        private static string TypeName(int type) => type switch
        {
            0 => "object",
            1 => "Animal",
            2 => "Dog",
            _ => "Document",
        };

        private string Describe(int table, CapabilityHandle handle)
            => $"{handle} [{handle.ToRawValue():X16}, model: {Lookup(table, handle)}]";

        private static CapabilityStatus ToStatus(Outcome outcome) => outcome switch
        {
            Outcome.Ok => CapabilityStatus.Ok,
            Outcome.Invalid => CapabilityStatus.InvalidHandle,
            Outcome.Stale => CapabilityStatus.Stale,
            Outcome.Rights => CapabilityStatus.InsufficientRights,
            Outcome.WrongType => CapabilityStatus.WrongType,
            _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
        };

        private static Outcome Run(Action action)
        {
            try
            {
                action();
                return Outcome.Ok;
            }
            catch (InvalidCapabilityException)
            {
                return Outcome.Invalid;
            }
            catch (StaleCapabilityException)
            {
                return Outcome.Stale;
            }
            catch (CapabilityRightsException)
            {
                return Outcome.Rights;
            }
            catch (CapabilityTableFullException)
            {
                return Outcome.Full;
            }
            catch (CapabilityTypeMismatchException)
            {
                return Outcome.WrongType;
            }
            catch (ArgumentException)
            {
                return Outcome.Argument;
            }
        }

        private void Expect(Outcome expected, Outcome actual)
            => Check(expected == actual, $"outcome {actual}, model expected {expected}");

        private void Check(bool condition, string what)
        {
            if (!condition)
            {
                Assert.Fail($"seed {_seed}, {_step}: {what}");
            }
        }
    }
}
