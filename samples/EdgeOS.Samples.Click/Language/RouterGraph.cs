namespace EdgeOS.Samples.Click.Language;

/// <summary>Where something was written: a file name (a <c>-e</c> configuration is named <c>config</c>) and a 1-based line.</summary>
/// <param name="File">The file name as Click prints it.</param>
/// <param name="Line">The 1-based line number.</param>
internal sealed record ClickLandmark(string File, int Line)
{
    /// <summary>Click's form, <c>FILE:LINE</c>.</summary>
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>One primitive element of a flattened router: compound classes are already expanded.</summary>
/// <param name="Name">The element's full name (<c>a/b/c</c> inside compounds; <c>Class@N</c> for anonymous ones).</param>
/// <param name="ClassName">The primitive element class, as written.</param>
/// <param name="Configuration">The configuration string with variables substituted, as Click passes it to configure.</param>
/// <param name="Landmark">Where the element was declared.</param>
internal sealed record ElementDeclaration(string Name, string ClassName, string Configuration, ClickLandmark Landmark);

/// <summary>One connection of a flattened router, between element indices into <see cref="RouterGraph.Elements"/>.</summary>
/// <param name="FromElement">Index of the source element.</param>
/// <param name="FromPort">Its output port.</param>
/// <param name="ToElement">Index of the destination element.</param>
/// <param name="ToPort">Its input port.</param>
/// <param name="Landmark">Where the connection was written.</param>
internal sealed record ConnectionDeclaration(int FromElement, int FromPort, int ToElement, int ToPort, ClickLandmark Landmark);

/// <summary>
/// A parsed and flattened Click configuration: the seam between the language (parser, compound
/// expansion, flattening) and the runtime (element classes, port checks, push/pull, the driver).
/// </summary>
internal sealed class RouterGraph
{
    /// <summary>Primitive elements in declaration order.</summary>
    public List<ElementDeclaration> Elements { get; } = [];

    /// <summary>Connections in the order written.</summary>
    public List<ConnectionDeclaration> Connections { get; } = [];

    /// <summary>The <c>require(...)</c> requirements other than <c>library</c>, as written (e.g. <c>userlevel</c>).</summary>
    public List<string> Requirements { get; } = [];
}
