using System.Runtime.CompilerServices;
using EdgeOS.Core.Capabilities;
using EdgeOS.Fwp.Internal;

namespace EdgeOS.Fwp;

/// <summary>
/// What <see cref="IFwpProgram.Start"/> works with: the template's fresh, zero-filled state region, the argument given
/// to <see cref="FwpTemplate.Create{TProgram}(FwpTemplateOptions?, object?)"/>, and the grants every instance will
/// receive. Valid only during that call.
/// </summary>
public readonly ref struct FwpStartContext
{
    private readonly TemplateBuilder _builder;

    internal FwpStartContext(TemplateBuilder builder) => _builder = builder;

    /// <summary>The argument given to the template (configuration, objects to grant), or <see langword="null"/>.</summary>
    public object? Argument => _builder.Argument;

    /// <summary>The size of the state region in bytes.</summary>
    public long StateSizeBytes => _builder.Region.Length;

    /// <summary>A writable reference to a <typeparamref name="T"/> at <paramref name="offset"/> of the state.</summary>
    /// <typeparam name="T">An unmanaged struct.</typeparam>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <returns>A reference valid during start-up.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The struct does not fit in the state at that offset.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T State<T>(long offset = 0)
        where T : unmanaged => ref _builder.Region.GetRef<T>(offset);

    /// <summary>A writable span of the state (any length: the template is not chunked yet).</summary>
    /// <param name="offset">The byte offset in the state region.</param>
    /// <param name="length">The length.</param>
    /// <returns>A span valid during start-up.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the state.</exception>
    public Span<byte> GetSpan(long offset, int length) => _builder.Region.GetSpan(offset, length);

    /// <summary>
    /// Grants <paramref name="target"/> with <paramref name="rights"/> to every instance of the template: each
    /// instance gets its own capability, derived through its tenant's, so revoking a tenant cuts exactly its
    /// instances' capabilities. Store the result in the state to find it again from the handler.
    /// </summary>
    /// <param name="target">The object.</param>
    /// <param name="rights">The rights each instance gets (it can derive further only with <see cref="CapabilityRights.Grant"/>).</param>
    /// <returns>The template-wide name of the grant.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="rights"/> contains reserved bits.</exception>
    /// <exception cref="CapabilityTableFullException">More than <see cref="FwpTemplateOptions.CapabilitiesMax"/> grants.</exception>
    public FwpCapability Grant(object target, CapabilityRights rights) => _builder.Grant(target, rights);
}
