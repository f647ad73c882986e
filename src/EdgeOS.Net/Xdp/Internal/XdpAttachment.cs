using EdgeOS.Net.Bpf.Internal;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Xdp.Internal;

/// <summary>
/// The XSKMAP, program and link of one UMEM owner, shared with the ports that share its UMEM: reference counted, and
/// closed (link first, which detaches the program) when the last port lets go.
/// </summary>
internal sealed class XdpAttachment
{
    private int _references = 1;

    internal XdpAttachment(FileDescriptorHandle map, FileDescriptorHandle program, FileDescriptorHandle link, XdpPortOptions options)
    {
        Map = map;
        Program = program;
        Link = link;
        Options = options;
    }

    internal FileDescriptorHandle Map { get; }

    internal FileDescriptorHandle Program { get; }

    internal FileDescriptorHandle Link { get; }

    /// <summary>The owner's options (interface, sizes, port range) that sharing ports must match.</summary>
    internal XdpPortOptions Options { get; }

    internal XdpAttachment AddReference()
    {
        int references = Volatile.Read(ref _references);
        while (references > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, references + 1, references);
            if (seen == references)
            {
                return this;
            }

            references = seen;
        }

        throw new ObjectDisposedException(nameof(XdpPort), "The XDP program of the port that owns the UMEM is already detached.");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            BpfSyscalls.DetachAndClose(Link);
            Program.Dispose();
            Map.Dispose();
        }
    }
}
