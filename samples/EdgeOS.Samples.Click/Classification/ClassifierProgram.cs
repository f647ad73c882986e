using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeOS.Samples.Click.Classification;

/// <summary>
/// A compiled Classifier, IPClassifier or IPFilter: a flat array of word tests, each with a "yes" and a "no" jump
/// target, as Click's classifiers run. A target at or above zero is the next instruction; a negative target is a
/// result, <c>output = -target - 2</c> (so -1 is "no match / drop"). Targets always point to lower indices, so a
/// match ends after at most <see cref="InstructionCount"/> tests. Identical (test, yes, no) instructions are shared,
/// and a test whose two branches lead to the same place is left out.
/// </summary>
/// <remarks>
/// Where the runtime can generate code (<see cref="RuntimeFeature.IsDynamicCodeSupported"/>), a program of at most
/// <see cref="NativeInstructionsMax"/> tests is also turned into a method of its own (a dynamic method, compiled by
/// the JIT like any other): every test becomes straight-line code with its offset, mask and value as constants and its
/// jumps as branches, as a BPF JIT does with a filter. <see cref="Match"/> runs that method; the interpreter
/// (<see cref="MatchInterpreted"/>) runs larger programs, and elsewhere. Both give the same result for every packet.
/// </remarks>
internal sealed class ClassifierProgram
{
    /// <summary>Most instructions a program may have (a bound on configuration size; Click has none, we need one).</summary>
    public const int InstructionsMax = 1 << 20;

    /// <summary>Most instructions a program may have to be compiled to a method (a bound on generated code size).</summary>
    public const int NativeInstructionsMax = 4096;

    private static readonly MethodInfo s_evaluate = typeof(FieldTest).GetMethod(
        nameof(FieldTest.Evaluate),
        BindingFlags.Public | BindingFlags.Static,
        [typeof(FieldBase), typeof(int), typeof(uint), typeof(uint), typeof(FieldOperation), typeof(int), typeof(int), typeof(ReadOnlySpan<byte>), typeof(int)])
        ?? throw new InvalidOperationException("FieldTest.Evaluate not found");

    private readonly Instruction[] _instructions;
    private readonly int _entry;
    private readonly MatchFunction? _native;

    private ClassifierProgram(Instruction[] instructions, int entry, int outputCount, IReadOnlyList<ClassifierExpression?> patterns)
    {
        _instructions = instructions;
        _entry = entry;
        OutputCount = outputCount;
        Patterns = patterns;
        _native = RuntimeFeature.IsDynamicCodeSupported && instructions.Length <= NativeInstructionsMax ? Emit(instructions, entry) : null;
    }

    private delegate int MatchFunction(ReadOnlySpan<byte> packet, int networkHeaderOffset);

    /// <summary>Whether <see cref="Match"/> runs the program as a generated method (otherwise it interprets it).</summary>
    public bool IsNative => _native is not null;

    /// <summary>Number of output ports the element has.</summary>
    public int OutputCount { get; }

    /// <summary>Number of tests in the program.</summary>
    public int InstructionCount => _instructions.Length;

    /// <summary>The parsed expression of each rule in order (null for an IPFilter drop rule's output), for checking.</summary>
    internal IReadOnlyList<ClassifierExpression?> Patterns { get; }

    /// <summary>Compiles Classifier patterns (<c>offset/value[%mask]</c> clauses, <c>!</c>, <c>-</c>).</summary>
    /// <exception cref="ClickConfigurationException">A pattern is malformed.</exception>
    public static ClassifierProgram CompileClassifier(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var rules = new List<(ClassifierExpression Expression, int Output)>(patterns.Count);
        for (int i = 0; i < patterns.Count; i++)
        {
            rules.Add((ClassifierPatternParser.Parse(patterns[i], i), i));
        }

        return Build(rules, patterns.Count);
    }

    /// <summary>Compiles IPClassifier patterns (Click's filter expression language), one output per pattern.</summary>
    /// <exception cref="ClickConfigurationException">A pattern is malformed.</exception>
    public static ClassifierProgram CompileIPClassifier(IReadOnlyList<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var rules = new List<(ClassifierExpression Expression, int Output)>(patterns.Count);
        for (int i = 0; i < patterns.Count; i++)
        {
            rules.Add((IPFilterParser.ParsePattern(patterns[i], i), i));
        }

        return Build(rules, patterns.Count);
    }

    /// <summary>
    /// Compiles IPFilter rules <c>ACTION EXPR</c>: <c>allow</c> is output 0, <c>deny</c>/<c>drop</c> drop, a number N
    /// is output N. The output count is one more than the highest output named (at least 1). With
    /// <paramref name="connectedOutputs"/> (the element's output count) a slot at or past it is refused as Click refuses it.
    /// </summary>
    /// <exception cref="ClickConfigurationException">A rule is malformed.</exception>
    public static ClassifierProgram CompileIPFilter(IReadOnlyList<string> rules, int? connectedOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var parsed = new List<(ClassifierExpression Expression, int Output)>(rules.Count);
        int outputs = 1;
        for (int i = 0; i < rules.Count; i++)
        {
            (int output, ClassifierExpression expression) = IPFilterParser.ParseRule(rules[i], i, connectedOutputs);
            parsed.Add((expression, output));
            outputs = Math.Max(outputs, output + 1);
        }

        return Build(parsed, outputs);
    }

    /// <summary>
    /// Classifies one packet: the output port of the first rule that matches, or -1 when none does (or the rule
    /// drops). IP tests read the IP header at <paramref name="networkHeaderOffset"/> (a negative offset fails them).
    /// Allocates nothing; reads are bounds-checked and a test on missing bytes is false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Match(ReadOnlySpan<byte> packet, int networkHeaderOffset) =>
        _native is { } native ? native(packet, networkHeaderOffset) : MatchInterpreted(packet, networkHeaderOffset);

    /// <summary><see cref="Match"/> by the interpreter: one test after the other from the instruction array.</summary>
    public int MatchInterpreted(ReadOnlySpan<byte> packet, int networkHeaderOffset)
    {
        int target = _entry;
        ref Instruction first = ref MemoryMarshal.GetArrayDataReference(_instructions);
        while (target >= 0)
        {
            // Targets are produced by the compiler and always index the array (checked in Build).
            ref Instruction instruction = ref Unsafe.Add(ref first, target);
            bool yes = FieldTest.Evaluate(
                instruction.Base, instruction.Offset, instruction.Mask, instruction.Value, instruction.Operation,
                instruction.Shift, instruction.NeededBytes, packet, networkHeaderOffset);
            target = yes ? instruction.Yes : instruction.No;
        }

        return -target - 2;
    }

    /// <summary>The program as text, one instruction a line (the element's <c>program</c> handler).</summary>
    public string Unparse()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _instructions.Length; i++)
        {
            Instruction instruction = _instructions[i];
            var test = new FieldTest(instruction.Base, instruction.Offset, instruction.Mask, instruction.Value, instruction.Operation, instruction.Shift);
            text.Append(i).Append(' ').Append(test).Append("  yes->").Append(Target(instruction.Yes))
                .Append("  no->").Append(Target(instruction.No)).Append('\n');
        }

        text.Append("safe length ").Append(_entry < 0 ? "-" : "start " + _entry).Append('\n');
        return text.ToString();

        static string Target(int target) => target >= 0 ? "step " + target : target == -1 ? "[X]" : "[" + (-target - 2) + "]";
    }

    // The program as IL: per instruction a call of FieldTest.Evaluate with the test's fields as constants (the JIT
    // inlines it and folds the base and operation cases away), then a branch to the yes or no target; a result
    // target returns the output.
    private static MatchFunction Emit(Instruction[] instructions, int entry)
    {
        // The first parameter is the delegate's target (a closed delegate calls without an argument-shuffling stub).
        var method = new DynamicMethod("ClassifierMatch", typeof(int), [typeof(object), typeof(ReadOnlySpan<byte>), typeof(int)], typeof(ClassifierProgram).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        Label[] labels = new Label[instructions.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = il.DefineLabel();
        }

        Jump(il, labels, entry);
        for (int i = 0; i < instructions.Length; i++)
        {
            Instruction instruction = instructions[i];
            il.MarkLabel(labels[i]);
            il.Emit(OpCodes.Ldc_I4, (int)instruction.Base);
            il.Emit(OpCodes.Ldc_I4, instruction.Offset);
            il.Emit(OpCodes.Ldc_I4, unchecked((int)instruction.Mask));
            il.Emit(OpCodes.Ldc_I4, unchecked((int)instruction.Value));
            il.Emit(OpCodes.Ldc_I4, (int)instruction.Operation);
            il.Emit(OpCodes.Ldc_I4, (int)instruction.Shift);
            il.Emit(OpCodes.Ldc_I4, instruction.NeededBytes);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Call, s_evaluate);
            Label yes = il.DefineLabel();
            il.Emit(OpCodes.Brtrue, yes);
            Jump(il, labels, instruction.No);
            il.MarkLabel(yes);
            Jump(il, labels, instruction.Yes);
        }

        return method.CreateDelegate<MatchFunction>(instructions);

        static void Jump(ILGenerator il, Label[] labels, int target)
        {
            if (target >= 0)
            {
                il.Emit(OpCodes.Br, labels[target]);
            }
            else
            {
                il.Emit(OpCodes.Ldc_I4, -target - 2);
                il.Emit(OpCodes.Ret);
            }
        }
    }

    private static ClassifierProgram Build(List<(ClassifierExpression Expression, int Output)> rules, int outputCount)
    {
        var compiler = new Compiler();
        int next = Compiler.DropTarget;
        var patterns = new ClassifierExpression?[rules.Count];
        for (int i = rules.Count - 1; i >= 0; i--)
        {
            (ClassifierExpression expression, int output) = rules[i];
            patterns[i] = expression;
            int yes = output < 0 ? Compiler.DropTarget : -output - 2;
            next = compiler.Compile(expression, yes, next);
        }

        Instruction[] instructions = compiler.Finish(ref next);
        return new ClassifierProgram(instructions, next, outputCount, patterns);
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Instruction(
        FieldBase Base, int Offset, uint Mask, uint Value, FieldOperation Operation, byte Shift, int NeededBytes, int Yes, int No);

    private sealed class Compiler
    {
        public const int DropTarget = -1;

        private readonly List<Instruction> _instructions = [];
        private readonly Dictionary<Instruction, int> _shared = [];

        public int Compile(ClassifierExpression expression, int yes, int no)
        {
            switch (expression)
            {
                case ConstantExpression constant:
                    return constant.Value ? yes : no;
                case NotExpression not:
                    return Compile(not.Operand, no, yes);
                case AndExpression and:
                    return Compile(and.Left, Compile(and.Right, yes, no), no);
                case OrExpression or:
                    return Compile(or.Left, yes, Compile(or.Right, yes, no));
                case TestExpression test:
                    return Emit(test.Field, yes, no);
                default:
                    throw new InvalidOperationException("unknown expression node " + expression.GetType().Name);
            }
        }

        /// <summary>
        /// The finished program, after edge drifting: an edge leaving a test whose outcome decides the test it
        /// leads to (the same test, or an equality on the same masked word with another value) jumps straight past
        /// it, as Click's classifier optimizer does; instructions no longer reachable from the entry are removed.
        /// </summary>
        public Instruction[] Finish(ref int entry)
        {
            Instruction[] program = [.. _instructions];
            for (int i = 0; i < program.Length; i++)
            {
                Instruction instruction = program[i];
                program[i] = instruction with
                {
                    Yes = Drift(program, instruction, true, instruction.Yes),
                    No = Drift(program, instruction, false, instruction.No),
                };
            }

            while (entry >= 0 && program[entry].Yes == program[entry].No)
            {
                entry = program[entry].Yes;
            }

            if (program.Length <= PathDriftInstructionsMax)
            {
                DriftAlongPaths(program, entry);
            }

            // Keep the reachable instructions in their order, so every target still points to a lower index.
            var reachable = new bool[program.Length];
            var stack = new Stack<int>();
            if (entry >= 0)
            {
                stack.Push(entry);
            }

            while (stack.Count > 0)
            {
                int at = stack.Pop();
                if (reachable[at])
                {
                    continue;
                }

                reachable[at] = true;
                if (program[at].Yes >= 0)
                {
                    stack.Push(program[at].Yes);
                }

                if (program[at].No >= 0)
                {
                    stack.Push(program[at].No);
                }
            }

            var renumber = new int[program.Length];
            var kept = new List<Instruction>(program.Length);
            for (int i = 0; i < program.Length; i++)
            {
                if (reachable[i])
                {
                    renumber[i] = kept.Count;
                    kept.Add(program[i]);
                }
            }

            for (int i = 0; i < kept.Count; i++)
            {
                Instruction instruction = kept[i];
                kept[i] = instruction with
                {
                    Yes = instruction.Yes >= 0 ? renumber[instruction.Yes] : instruction.Yes,
                    No = instruction.No >= 0 ? renumber[instruction.No] : instruction.No,
                };
            }

            entry = entry >= 0 ? renumber[entry] : entry;
            return [.. kept];
        }

        /// <summary>Programs up to this size also get <see cref="DriftAlongPaths"/> (its cost grows with size times facts).</summary>
        private const int PathDriftInstructionsMax = 4096;

        /// <summary>Facts kept per instruction by <see cref="DriftAlongPaths"/> (the most recent ones along the path).</summary>
        private const int FactsMax = 16;

        /// <summary>
        /// Edge drifting with what every path to a test has already learned: each instruction gets the facts (test,
        /// outcome) that hold on all paths from the entry to it; an edge whose target test those facts decide jumps past
        /// it. Targets point to lower indices, so visiting from the highest index down sees every predecessor first.
        /// For the firewall <c>allow udp &amp;&amp; dst port 53, allow tcp &amp;&amp; dst port 80, allow dst net N &amp;&amp; udp</c>
        /// a UDP packet to another port no longer asks "tcp?" and, inside N, "udp?" again.
        /// </summary>
        private static void DriftAlongPaths(Instruction[] program, int entry)
        {
            if (entry < 0)
            {
                return;
            }

            var known = new List<(Instruction Test, bool Outcome)>?[program.Length];
            known[entry] = [];
            for (int i = entry; i >= 0; i--)
            {
                List<(Instruction Test, bool Outcome)>? facts = known[i];
                if (facts is null)
                {
                    continue; // not reached from the entry
                }

                Instruction instruction = program[i];
                int yes = DriftWithFacts(program, facts, instruction, true, instruction.Yes);
                int no = DriftWithFacts(program, facts, instruction, false, instruction.No);
                program[i] = instruction with { Yes = yes, No = no };
                Propagate(known, facts, instruction, true, yes);
                Propagate(known, facts, instruction, false, no);
            }
        }

        private static int DriftWithFacts(Instruction[] program, List<(Instruction Test, bool Outcome)> facts, Instruction from, bool outcome, int target)
        {
            while (target >= 0)
            {
                Instruction next = program[target];
                if (next.Yes == next.No)
                {
                    target = next.Yes;
                    continue;
                }

                bool? decided = Decide(from, outcome, next);
                for (int f = facts.Count - 1; decided is null && f >= 0; f--)
                {
                    decided = Decide(facts[f].Test, facts[f].Outcome, next);
                }

                if (decided is not bool result)
                {
                    return target;
                }

                target = result ? next.Yes : next.No;
            }

            return target;
        }

        private static void Propagate(List<(Instruction Test, bool Outcome)>?[] known, List<(Instruction Test, bool Outcome)> facts, Instruction from, bool outcome, int target)
        {
            if (target < 0)
            {
                return;
            }

            var along = new List<(Instruction Test, bool Outcome)>(facts) { (from, outcome) };
            if (along.Count > FactsMax)
            {
                along.RemoveAt(0);
            }

            if (known[target] is not List<(Instruction Test, bool Outcome)> existing)
            {
                known[target] = along;
                return;
            }

            // Only what holds on every path in: the intersection.
            existing.RemoveAll(fact => !along.Exists(other => SameTest(other.Test, fact.Test) && other.Outcome == fact.Outcome));
        }

        /// <summary>What <paramref name="known"/> having come out <paramref name="outcome"/> says about <paramref name="next"/>, if anything.</summary>
        private static bool? Decide(Instruction known, bool outcome, Instruction next)
        {
            if (known.Base != next.Base || known.Offset != next.Offset)
            {
                return null;
            }

            if (SameTest(known, next))
            {
                return outcome;
            }

            // A true equality fixes every bit of its mask (and proves those bytes are in the packet): a test on a
            // subset of those bits has a known result.
            if (outcome && known.Operation == FieldOperation.Equal && (next.Mask & ~known.Mask) == 0)
            {
                uint masked = known.Value & known.Mask & next.Mask;
                return next.Operation switch
                {
                    FieldOperation.Equal => masked == next.Value,
                    FieldOperation.Greater => (masked >> next.Shift) > next.Value,
                    _ => (masked >> next.Shift) < next.Value,
                };
            }

            return null;
        }

        private static bool SameTest(Instruction a, Instruction b) =>
            a.Base == b.Base && a.Offset == b.Offset && a.Mask == b.Mask && a.Value == b.Value && a.Operation == b.Operation && a.Shift == b.Shift;

        // Follows the edge while the outcome of 'known' (taken with result 'outcome') decides the next test.
        private static int Drift(Instruction[] program, Instruction known, bool outcome, int target)
        {
            while (target >= 0)
            {
                Instruction next = program[target];
                if (next.Yes == next.No)
                {
                    // Drifting made this test pointless: both outcomes lead to the same place.
                    target = next.Yes;
                    continue;
                }

                bool sameWord = next.Base == known.Base && next.Offset == known.Offset && next.Mask == known.Mask;
                if (!sameWord)
                {
                    return target;
                }

                bool sameTest = next.Value == known.Value && next.Operation == known.Operation && next.Shift == known.Shift;
                if (sameTest)
                {
                    target = outcome ? next.Yes : next.No;
                }
                else if (outcome && known.Operation == FieldOperation.Equal && next.Operation == FieldOperation.Equal)
                {
                    // The word equals known.Value, so it cannot equal next.Value.
                    target = next.No;
                }
                else
                {
                    return target;
                }
            }

            return target;
        }

        private int Emit(FieldTest test, int yes, int no)
        {
            if (yes == no)
            {
                return yes;
            }

            var instruction = new Instruction(test.Base, test.Offset, test.Mask, test.Value, test.Operation, test.Shift, test.NeededBytes, yes, no);
            if (_shared.TryGetValue(instruction, out int index))
            {
                return index;
            }

            if (_instructions.Count >= InstructionsMax)
            {
                throw new ClickConfigurationException($"classifier program too large (more than {InstructionsMax} steps)");
            }

            index = _instructions.Count;
            _instructions.Add(instruction);
            _shared.Add(instruction, index);
            return index;
        }
    }
}
