using System.Globalization;
using System.Runtime.CompilerServices;
using EdgeOS.Net.Bpf.Internal;
using EdgeOS.Net.Internal;
using EdgeOS.Net.Xdp.Internal;

namespace EdgeOS.Net.Xdp;

/// <summary>
/// A packet port over an AF_XDP socket bound to one queue of one interface, with its own UMEM, and an XDP program
/// (generated in code, attached with BPF_LINK_CREATE) that redirects IPv4 UDP to <see cref="XdpPortOptions.UdpPortLow"/>
/// .. <see cref="XdpPortOptions.UdpPortHigh"/> to this socket and passes everything else (ARP, ICMP, other traffic)
/// to the kernel. Linux only; needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (or root).
/// </summary>
/// <remarks>
/// <para>
/// Frames: frame slot i is UMEM chunk i. Besides the user-ownership rules of <see cref="PacketPort"/>, the port
/// records where each chunk is on the kernel side (its free stack, the fill ring, the user, the tx ring), and accepts
/// a chunk address back from the rx or completion ring only from the place it was posted to; an address the kernel
/// returns that does not match is counted and ignored rather than issued twice. So a chunk is in exactly one ring or
/// with one user at a time.
/// </para>
/// <para>
/// Receive takes rx descriptors, issues their chunks as frames, and refills the fill ring from the free stack (keeping
/// it at most half the frames, so transmit always has chunks). Transmit posts the frames' chunks to the tx ring (a
/// received frame can be transmitted in place: an echo costs no copy) and wakes the kernel when it asks
/// (need-wakeup). Sent chunks come back through the completion ring, reaped at every call. No allocation per packet.
/// </para>
/// <para>
/// Disposing detaches the XDP program (closing the link), then unmaps the rings and UMEM and closes the socket. If the
/// process dies, the kernel closes the link descriptor and the program is detached the same way.
/// </para>
/// </remarks>
public sealed unsafe class XdpPort : PacketPort
{
    private const byte WhereFree = 0;
    private const byte WhereFill = 1;
    private const byte WhereUser = 2;
    private const byte WhereTx = 3;

    private readonly XdpSocket _socket;
    private readonly FileDescriptorHandle _map;
    private readonly FileDescriptorHandle _program;
    private readonly FileDescriptorHandle _link;
    private readonly byte* _umem;
    private readonly int _frameSizeBytes;
    private readonly int _frameShift;
    private readonly int _headroomBytes;
    private readonly int _fillTarget;
    private readonly int[] _free;
    private readonly byte[] _where;
    private int _freeCount;
    private int _inFill;
    private long _kernelAddressErrors;

    /// <summary>
    /// Creates the UMEM and socket, binds it (zero-copy first unless told otherwise), creates the XSKMAP, loads the
    /// generated program and attaches it (native first unless told otherwise). Cost: a few milliseconds of syscalls
    /// and <c>FrameCount * FrameSizeBytes</c> bytes of locked memory.
    /// </summary>
    /// <param name="options">Interface, queue, sizes and modes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range (ring sizes must be powers of two).</exception>
    /// <exception cref="ArgumentException">No interface with that name exists.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux x86-64/arm64, or the kernel lacks AF_XDP.</exception>
    /// <exception cref="NetPrivilegeException">The process lacks CAP_NET_RAW, CAP_NET_ADMIN or CAP_BPF.</exception>
    /// <exception cref="Bpf.BpfVerifierException">The verifier rejected the generated program (a bug; the log says why).</exception>
    /// <exception cref="IOException">Another kernel call failed (e.g. another XDP program is attached: EBUSY).</exception>
    public XdpPort(XdpPortOptions options)
        : base(NameOf(options), ValidatedFrameCount(options), options.FrameSizeBytes - options.HeadroomBytes)
    {
        KernelNetThrowHelper.EnsureLinux("XdpPort");
        int ifindex = (int)Interop.Sock.IfNameToIndex(options.InterfaceName);
        if (ifindex == 0)
        {
            KernelNetThrowHelper.ThrowInterfaceNotFound(options.InterfaceName);
        }

        InterfaceIndex = ifindex;
        QueueId = options.QueueId;
        _frameSizeBytes = options.FrameSizeBytes;
        _frameShift = options.FrameSizeBytes == 4096 ? 12 : 11;
        _headroomBytes = options.HeadroomBytes;
        _fillTarget = Math.Min(options.FillRingSize, options.FrameCount / 2);
        _free = new int[options.FrameCount];
        _where = new byte[options.FrameCount];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = _free.Length - 1 - i;
        }

        _freeCount = _free.Length;

        var config = new XdpSocketConfig(
            ifindex, options.QueueId, options.FrameCount, options.FrameSizeBytes, options.HeadroomBytes,
            options.FillRingSize, options.CompletionRingSize, options.RxRingSize, options.TxRingSize, options.UseNeedWakeup);
        XdpBindRequest request = options.BindMode switch
        {
            XdpBindMode.Copy => XdpBindRequest.Copy,
            XdpBindMode.ZeroCopy => XdpBindRequest.ZeroCopy,
            _ => XdpBindRequest.Auto,
        };

        _socket = XdpSocket.Create(config, request);
        try
        {
            _umem = _socket.UmemBase;
            _map = BpfSyscalls.CreateXskMap((uint)options.QueueId + 1);
            BpfSyscalls.UpdateXskMap(_map, (uint)options.QueueId, _socket.Handle);
            _program = BpfSyscalls.LoadXdpProgram(
                XdpRedirectProgram.Generate(_map.Fd, (ushort)options.UdpPortLow, (ushort)options.UdpPortHigh),
                "edgeos_xsk");
            _link = BpfSyscalls.AttachXdp(_program, ifindex, options.ProgramMode == XdpProgramMode.Generic, out XdpAttachMode mode);
            IsNativeXdp = mode == XdpAttachMode.Native;
            RefillFillRing();
        }
        catch
        {
            _link?.Dispose();
            _program?.Dispose();
            _map?.Dispose();
            _socket.Dispose();
            throw;
        }
    }

    /// <summary>The interface index the socket is bound to.</summary>
    public int InterfaceIndex { get; }

    /// <summary>The queue the socket is bound to.</summary>
    public int QueueId { get; }

    /// <summary>Whether the socket runs in zero-copy mode (else copy mode).</summary>
    public bool IsZeroCopy => _socket.IsZeroCopy;

    /// <summary>Whether the XDP program runs in the driver (native) rather than generic (skb) mode.</summary>
    public bool IsNativeXdp { get; }

    /// <summary>Chunk addresses the kernel returned that the port had not posted there (should stay 0).</summary>
    public long KernelAddressErrors => _kernelAddressErrors;

    /// <summary>Reads the kernel's XDP_STATISTICS for the socket. One getsockopt call.</summary>
    /// <returns>The counters.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public XdpStatistics GetXdpStatistics()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Interop.Xdp.StatisticsValue value = _socket.GetStatistics();
        return new XdpStatistics
        {
            RxDropped = value.RxDropped,
            RxInvalidDescriptors = value.RxInvalidDescs,
            TxInvalidDescriptors = value.TxInvalidDescs,
            RxRingFull = value.RxRingFull,
            FillRingEmpty = value.RxFillRingEmptyDescs,
            TxRingEmpty = value.TxRingEmptyDescs,
        };
    }

    /// <summary>Blocks until frames are ready to receive or the timeout passes (poll(2) on the socket).</summary>
    /// <param name="timeoutMilliseconds">The longest wait; 0 to test, -1 for no limit.</param>
    /// <returns><see langword="true"/> if frames are ready.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public bool WaitForReceive(int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _socket.Rx.ConsumerAvailable(1) > 0 || _socket.WaitForReceive(timeoutMilliseconds);
    }

    private protected override int ReceiveCore(Span<Frame> frames)
    {
        ReapCompletions();
        ref XdpRing rx = ref _socket.Rx;
        uint available = rx.ConsumerAvailable((uint)frames.Length);
        if (available == 0)
        {
            RefillFillRing();
            _socket.WakeForReceive();
            return 0;
        }

        int count = (int)Math.Min(available, (uint)frames.Length);
        int issued = 0;
        for (int i = 0; i < count; i++)
        {
            Interop.Xdp.Descriptor descriptor = rx.DescriptorAt(rx.Local++);
            int slot = (int)(descriptor.Address >> _frameShift);
            int offset = (int)(descriptor.Address & (uint)(_frameSizeBytes - 1));
            if ((uint)slot >= (uint)_where.Length || _where[slot] != WhereFill || descriptor.Length > (uint)(_frameSizeBytes - offset))
            {
                _kernelAddressErrors++;
                continue;
            }

            _where[slot] = WhereUser;
            _inFill--;
            frames[issued++] = Issue(slot, (nint)(_umem + descriptor.Address), (int)descriptor.Length, _frameSizeBytes - offset);
        }

        rx.ConsumerRelease();
        RefillFillRing();
        return issued;
    }

    private protected override int AllocateCore(Span<Frame> frames)
    {
        ReapCompletions();
        int count = Math.Min(frames.Length, _freeCount);
        for (int i = 0; i < count; i++)
        {
            int slot = _free[--_freeCount];
            _where[slot] = WhereUser;
            frames[i] = Issue(slot, (nint)(_umem + ((long)slot << _frameShift) + _headroomBytes), 0, _frameSizeBytes - _headroomBytes);
        }

        return count;
    }

    private protected override int TransmitCore(ReadOnlySpan<Frame> frames)
    {
        ReapCompletions();
        ref XdpRing tx = ref _socket.Tx;
        uint free = tx.ProducerFree((uint)frames.Length);
        int accepted = (int)Math.Min(free, (uint)frames.Length);
        for (int i = 0; i < accepted; i++)
        {
            Frame frame = frames[i];
            ref Interop.Xdp.Descriptor descriptor = ref tx.DescriptorAt(tx.Local++);
            descriptor.Address = (ulong)((byte*)SlotAddress(frame.Slot) - _umem);
            descriptor.Length = (uint)frame.Length;
            descriptor.Options = 0;
            _where[frame.Slot] = WhereTx;
        }

        if (accepted > 0)
        {
            tx.ProducerSubmit();
        }

        // Kick even when nothing was accepted: a full tx ring drains only when the kernel is woken.
        _socket.KickTransmit();
        return accepted;
    }

    private protected override void RecycleCore(int slot)
    {
        _where[slot] = WhereFree;
        _free[_freeCount++] = slot;
    }

    private protected override void DisposeCore()
    {
        // Detach first so the kernel stops redirecting into a socket that is going away; then the socket and UMEM.
        _link.Dispose();
        _socket.Dispose();
        _program.Dispose();
        _map.Dispose();
    }

    /// <summary>Moves sent chunks from the completion ring back to the free stack.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReapCompletions()
    {
        ref XdpRing completion = ref _socket.Completion;
        uint available = completion.ConsumerAvailable(uint.MaxValue);
        if (available != 0)
        {
            ReapCompletions(ref completion, available);
        }
    }

    private void ReapCompletions(ref XdpRing completion, uint available)
    {
        for (uint i = 0; i < available; i++)
        {
            ulong address = completion.AddressAt(completion.Local++);
            int slot = (int)(address >> _frameShift);
            if ((uint)slot >= (uint)_where.Length || _where[slot] != WhereTx)
            {
                _kernelAddressErrors++;
                continue;
            }

            _where[slot] = WhereFree;
            _free[_freeCount++] = slot;
        }

        completion.ConsumerRelease();
    }

    /// <summary>Tops the fill ring up to its target from the free stack.</summary>
    private void RefillFillRing()
    {
        int wanted = Math.Min(_fillTarget - _inFill, _freeCount);
        if (wanted <= 0)
        {
            return;
        }

        ref XdpRing fill = ref _socket.Fill;
        int count = (int)Math.Min(fill.ProducerFree((uint)wanted), (uint)wanted);
        for (int i = 0; i < count; i++)
        {
            int slot = _free[--_freeCount];
            _where[slot] = WhereFill;
            fill.AddressAt(fill.Local++) = (ulong)slot << _frameShift;
        }

        _inFill += count;
        if (count > 0)
        {
            fill.ProducerSubmit();
        }
    }

    private static string NameOf(XdpPortOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.InterfaceName, nameof(options));
        return string.Create(CultureInfo.InvariantCulture, $"xdp:{options.InterfaceName}/{options.QueueId}");
    }

    private static int ValidatedFrameCount(XdpPortOptions options)
    {
        if (options.FrameSizeBytes is not (2048 or 4096))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FrameSizeBytes, "FrameSizeBytes must be 2048 or 4096.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.FrameCount, 2, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FrameCount, XdpPortOptions.FrameCountMax, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.HeadroomBytes, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.HeadroomBytes, options.FrameSizeBytes / 2, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.QueueId, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.QueueId, 1 << 16, nameof(options));
        CheckRing(options.FillRingSize, nameof(XdpPortOptions.FillRingSize));
        CheckRing(options.CompletionRingSize, nameof(XdpPortOptions.CompletionRingSize));
        CheckRing(options.RxRingSize, nameof(XdpPortOptions.RxRingSize));
        CheckRing(options.TxRingSize, nameof(XdpPortOptions.TxRingSize));
        if (options.UdpPortLow is < 0 or > 65535 || options.UdpPortHigh is < 0 or > 65535 || options.UdpPortLow > options.UdpPortHigh)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                string.Create(CultureInfo.InvariantCulture, $"UdpPortLow..UdpPortHigh must be a range within 0..65535; it is {options.UdpPortLow}..{options.UdpPortHigh}."));
        }

        return options.FrameCount;
    }

    private static void CheckRing(int entries, string name)
    {
        if (entries < 1 || entries > XdpPortOptions.RingEntriesMax || !int.IsPow2(entries))
        {
            throw new ArgumentOutOfRangeException(
                "options",
                entries,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be a power of two from 1 to {XdpPortOptions.RingEntriesMax}."));
        }
    }
}
