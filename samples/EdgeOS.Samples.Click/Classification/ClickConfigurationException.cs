namespace EdgeOS.Samples.Click.Classification;

/// <summary>
/// A classification pattern or filter rule that Click would refuse. The message is worded as Click words it
/// (for example <c>pattern 2: expected '/'</c>), without the <c>FILE:LINE:</c> landmark, which the caller adds.
/// </summary>
internal sealed class ClickConfigurationException : Exception
{
    public ClickConfigurationException()
    {
    }

    public ClickConfigurationException(string message)
        : base(message)
    {
    }

    public ClickConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
