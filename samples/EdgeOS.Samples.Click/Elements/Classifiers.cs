using System.Globalization;
using EdgeOS.Samples.Click.Classification;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;
using static EdgeOS.Samples.Click.Elements.ElementHelpers;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>
/// The classification elements over <see cref="ClassifierProgram"/> (compiled by the classification
/// language): the packet goes to the output of the first matching pattern; packets matching none are dropped.
/// Handlers program (the compiled decision program) and drops.
/// </summary>
internal abstract class ClassifierElement : Element
{
    private ClassifierProgram? _program;
    private long _drops;

    public override string PortCount => "1/-";

    public override string Processing => PushCode;

    protected abstract ClassifierProgram Compile(List<string> arguments);

    /// <summary>Whether the element must have exactly one output per argument (Classifier, IPClassifier).</summary>
    protected virtual bool OneOutputPerArgument => true;

    public override bool Configure(Args args, ElementErrors errors)
    {
        // Patterns are taken whole: they are not keyword arguments even when they start with a capital.
        List<string> patterns = ClickConfigText.ArgVec(Configuration);
        if (OneOutputPerArgument && patterns.Count != NOutputs)
        {
            return errors.Error(string.Create(CultureInfo.InvariantCulture, $"need {NOutputs} arguments, one per output port"));
        }

        try
        {
            _program = Compile(patterns);
        }
        catch (ClickConfigurationException ex)
        {
            return errors.Error(ex.Message);
        }

        if (_program.OutputCount > NOutputs)
        {
            return errors.Error(string.Create(CultureInfo.InvariantCulture, $"rules need {_program.OutputCount} outputs, but only {NOutputs} are connected"));
        }

        return true;
    }

    public override void Push(int port, Packet p)
    {
        int output = _program!.Match(p.Data, p.HasNetworkHeader ? p.NetworkHeaderDataOffset : -1);
        if (output == 0)
        {
            PushOutput0(p);
        }
        else if (output > 0)
        {
            Outputs[output].Push(p);
        }
        else
        {
            _drops++;
            p.Kill();
        }
    }

    public override void AddHandlers(HandlerTable handlers)
    {
        handlers.AddRead("program", () => _program!.Unparse());
        handlers.AddRead("drops", () => Num(_drops));
    }
}

/// <summary>Classifier(PATTERN...): <c>offset/value%mask</c> patterns on the packet data, one per output.</summary>
internal sealed class Classifier : ClassifierElement
{
    protected override ClassifierProgram Compile(List<string> arguments) => ClassifierProgram.CompileClassifier(arguments);
}

/// <summary>IPClassifier(PATTERN...): Click's filter expressions on the IP header annotation, one per output. Handlers program, pattern0, pattern1, ... (each output's pattern as configured).</summary>
internal sealed class IPClassifier : ClassifierElement
{
    protected override ClassifierProgram Compile(List<string> arguments) => ClassifierProgram.CompileIPClassifier(arguments);

    public override void AddHandlers(HandlerTable handlers)
    {
        base.AddHandlers(handlers);
        List<string> patterns = ClickConfigText.ArgVec(Configuration);
        for (int i = 0; i < patterns.Count; i++)
        {
            string pattern = patterns[i];
            handlers.AddRead(string.Create(CultureInfo.InvariantCulture, $"pattern{i}"), () => pattern + "\n");
        }
    }
}

/// <summary>IPFilter(ACTION EXPR, ...): <c>allow</c> to output 0, <c>deny</c>/<c>drop</c> dropped, <c>N</c> to output N; unmatched packets are dropped.</summary>
internal sealed class IPFilter : ClassifierElement
{
    protected override bool OneOutputPerArgument => false;

    protected override ClassifierProgram Compile(List<string> arguments) => ClassifierProgram.CompileIPFilter(arguments, NOutputs);
}
