using System.Globalization;
using System.Text;
using EdgeOS.Samples.Click.Language;
using EdgeOS.Samples.Click.Runtime;

namespace EdgeOS.Samples.Click.Elements;

/// <summary>Parsers and handler helpers the elements share.</summary>
internal static class ElementHelpers
{
    /// <summary>Click's default packet contents for InfiniteSource, TimedSource and friends.</summary>
    public const string DefaultData = "Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

    public static string Num(long v) => v.ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>Print's and IPPrint's line start: <c>LABEL: </c> when there is a label, then the packet's timestamp and <c>: </c> when <paramref name="timestamped"/> is given.</summary>
    public static StringBuilder AppendPrintPrefix(StringBuilder sb, string label, Packet? timestamped)
    {
        if (label.Length > 0)
        {
            sb.Append(label).Append(": ");
        }

        if (timestamped is not null)
        {
            sb.Append(ClickValues.FormatTimestamp(timestamped.TimestampNanoseconds)).Append(": ");
        }

        return sb;
    }

    public static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture) + "\n";

    public static string Bool(bool v) => v ? "true\n" : "false\n";

    /// <summary>Bytes of a Click string argument (quoted strings may hold any byte via backslash escapes).</summary>
    public static byte[] Bytes(string unquoted) => Encoding.Latin1.GetBytes(unquoted);

    /// <summary>A write handler that parses its value with <paramref name="parser"/> and stores it.</summary>
    public static HandlerWrite Writer<T>(ArgParser<T> parser, Action<T> set) => (string value, ElementErrors errors) =>
    {
        if (!parser(ClickConfigText.Uncomment(value), out T v, out string expected))
        {
            return errors.Error($"expected {expected}");
        }

        set(v);
        return true;
    };

    public static readonly ArgParser<int> NonNegative = (string text, out int value, out string expected) =>
    {
        // Click reads these as unsigned: no minus sign at all, not even "-0".
        bool ok = ClickValues.Int32(text, out value, out expected);
        expected = "unsigned integer";
        return ok && value >= 0 && !text.TrimStart().StartsWith('-');
    };

    public static readonly ArgParser<long> Limit = (string text, out long value, out string expected) =>
    {
        expected = "integer";
        bool ok = ClickValues.Int32(text, out int v, out _);
        value = v;
        return ok && v >= -1;
    };

    public static readonly ArgParser<byte> ByteValue = (string text, out byte value, out string expected) =>
    {
        expected = "integer between 0 and 255";
        bool ok = ClickValues.UInt32(text, out uint v, out _);
        value = (byte)v;
        return ok && v <= 255;
    };

    public static readonly ArgParser<ushort> UInt16Value = (string text, out ushort value, out string expected) =>
    {
        expected = "integer between 0 and 65535";
        bool ok = ClickValues.UInt32(text, out uint v, out _);
        value = (ushort)v;
        return ok && v <= 65535;
    };

    /// <summary>
    /// The end of a pulling task's run: when nothing was pulled and the upstream queue says it is empty, the task
    /// sleeps until that queue wakes it (Click's notifier protocol). Returns whether the run did work.
    /// </summary>
    public static bool FinishPullRun(ClickTask task, IEmptyNotifier? notifier, int pulled)
    {
        if (pulled == 0 && notifier is { Active: false })
        {
            task.Unschedule();
            notifier.AddListener(task);
        }

        return pulled > 0;
    }

    /// <summary>Finds the queue (or other empty notifier) feeding pull input <paramref name="port"/> of <paramref name="e"/>, through one-input pull elements.</summary>
    public static IEmptyNotifier? FindUpstreamNotifier(Element e, int port)
    {
        Element current = e;
        int p = port;
        for (int depth = 0; depth < 32; depth++)
        {
            if (p >= current.NInputs)
            {
                return null;
            }

            Element peer = current.Input(p).Peer;
            if (peer is IEmptyNotifier n)
            {
                return n;
            }

            if (peer.NInputs != 1 || !peer.Input(0).IsPull)
            {
                return null;
            }

            current = peer;
            p = 0;
        }

        return null;
    }
}

/// <summary>Click's empty notifier: a queue tells sleeping pullers when it becomes non-empty.</summary>
internal interface IEmptyNotifier
{
    /// <summary>Whether a pull may succeed.</summary>
    bool Active { get; }

    /// <summary>Wakes <paramref name="task"/> when packets arrive.</summary>
    void AddListener(ClickTask task);
}
