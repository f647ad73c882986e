using System.Text;

namespace EdgeOS.Samples.Click.Language;

/// <summary>The Click configuration language: parsing into a flat router and printing it back.</summary>
internal static class ClickLanguage
{
    /// <summary>
    /// Parses a Click configuration (click(5)), expands compound elements, groups and variables, and returns
    /// the flat router, or null when errors were reported to <paramref name="errors"/> (all of them are: the
    /// parser recovers and goes on as Click does).
    /// </summary>
    /// <param name="text">The configuration.</param>
    /// <param name="fileName">The name used in messages: <c>config</c> for <c>-e</c>, <c>&lt;stdin&gt;</c> for standard input.</param>
    /// <param name="variables">Command-line <c>NAME=value</c> settings; they override the file's <c>define</c>s.</param>
    /// <param name="isPrimitiveClass">Tells which class names the runtime implements.</param>
    /// <param name="errors">Receives errors and warnings in Click's format.</param>
    /// <param name="baseDirectory">Where <c>require(library FILE)</c> looks for relative names; defaults to the directory of <paramref name="fileName"/>.</param>
    /// <param name="clickPath">The CLICKPATH <c>require(library FILE)</c> searches (click's <c>-C PATH</c>); null for the CLICKPATH environment variable.</param>
    public static RouterGraph? Parse(string text, string fileName, IReadOnlyDictionary<string, string> variables,
        Func<string, bool> isPrimitiveClass, ClickErrors errors, string? baseDirectory = null, string? clickPath = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(isPrimitiveClass);
        ArgumentNullException.ThrowIfNull(errors);
        return ClickParser.Parse(text, fileName, variables, isPrimitiveClass, errors, baseDirectory, clickPath);
    }

    /// <summary>
    /// The flat configuration as Click prints it for <c>click -o FILE</c> (its <c>flatconfig</c> handler): the
    /// requirements, one declaration per element in router order, a blank line, then the connections sorted
    /// by source and printed as chains (<c>a -> b</c>, continued on lines starting <c>    -> </c> while each
    /// destination's port 0 feeds on).
    /// </summary>
    public static string Flatten(RouterGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var sb = new StringBuilder();
        if (graph.Requirements.Count > 0)
        {
            sb.Append("require(");
            for (int i = 0; i < graph.Requirements.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                string requirement = graph.Requirements[i];
                if (requirement == "compact_config")
                {
                    sb.Append(requirement);
                }
                else
                {
                    sb.Append("package ").Append(ClickConfigText.Quote(requirement));
                }
            }

            sb.Append(");\n\n");
        }

        foreach (ElementDeclaration e in graph.Elements)
        {
            sb.Append(e.Name).Append(" :: ").Append(e.ClassName);
            if (e.Configuration.Length > 0)
            {
                sb.Append('(').Append(e.Configuration).Append(')');
            }

            sb.Append(";\n");
        }

        if (graph.Elements.Count > 0)
        {
            sb.Append('\n');
        }

        AppendConnections(sb, graph);
        return sb.ToString();
    }

    private static void AppendConnections(StringBuilder sb, RouterGraph graph)
    {
        List<ConnectionDeclaration> conn = ClickParser.SortAndDeduplicate(graph.Connections);
        int n = conn.Count;

        // A connection into port 0 continues with a connection out of that element's same-numbered
        // output (preferring one whose destination is also port 0); continuations do not start chains.
        var next = new int[n];
        var startsChain = new bool[n];
        Array.Fill(next, -1);
        Array.Fill(startsChain, true);

        // Connections out of each (element, port), in sorted order, so the search is not quadratic.
        var outOf = new Dictionary<(int Element, int Port), List<int>>();
        for (int d = 0; d < n; d++)
        {
            (int, int) key = (conn[d].FromElement, conn[d].FromPort);
            if (!outOf.TryGetValue(key, out List<int>? list))
            {
                list = [];
                outOf[key] = list;
            }

            list.Add(d);
        }

        for (int c = 0; c < n; c++)
        {
            if (conn[c].ToPort != 0 || !outOf.TryGetValue((conn[c].ToElement, conn[c].ToPort), out List<int>? candidates))
            {
                continue;
            }

            // The first candidate into port 0, otherwise the last candidate (Click's choice).
            int result = -1;
            foreach (int d in candidates)
            {
                if (d == c)
                {
                    continue;
                }

                result = d;
                if (conn[d].ToPort == 0)
                {
                    break;
                }
            }

            if (result >= 0)
            {
                next[c] = result;
                startsChain[result] = false;
            }
        }

        var used = new bool[n];
        bool done = false;
        while (!done)
        {
            for (int c = 0; c < n; c++)
            {
                if (used[c] || !startsChain[c])
                {
                    continue;
                }

                sb.Append(graph.Elements[conn[c].FromElement].Name);
                if (conn[c].FromPort != 0)
                {
                    sb.Append(" [").Append(conn[c].FromPort).Append(']');
                }

                for (int d = c; d >= 0 && !used[d]; d = next[d])
                {
                    sb.Append(d == c ? " -> " : "\n    -> ");
                    if (conn[d].ToPort != 0)
                    {
                        sb.Append('[').Append(conn[d].ToPort).Append("] ");
                    }

                    sb.Append(graph.Elements[conn[d].ToElement].Name);
                    used[d] = true;
                }

                sb.Append(";\n");
            }

            // Whatever is left lies on cycles; start chains there.
            done = true;
            for (int c = 0; c < n && done; c++)
            {
                if (!used[c])
                {
                    startsChain[c] = true;
                    done = false;
                }
            }
        }
    }
}
