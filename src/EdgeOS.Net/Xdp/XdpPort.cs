using System.Diagnostics;
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
/// Disposing detaches the XDP program (BPF_LINK_DETACH, then closing the link), then unmaps the rings and UMEM and
/// closes the socket. If the process dies, the kernel closes the link descriptor and the program is detached the same
/// way. Ports sharing one UMEM (<see cref="XdpPortOptions.ShareUmemWith"/>) share the program too: it is detached, and
/// the UMEM unmapped, when the last of them is disposed.
/// </para>
/// </remarks>
public sealed unsafe class XdpPort : PacketPort
{
    private const byte WhereFree = 0;
    private const byte WhereFill = 1;
    private const byte WhereUser = 2;
    private const byte WhereTx = 3;
    private const byte WhereLent = 4;

    private readonly XdpSocket _socket;
    private readonly XdpAttachment _attachment;
    private readonly byte* _umem;
    private readonly int _frameSizeBytes;
    private readonly int _frameShift;
    private readonly int _headroomBytes;
    private readonly int _fillTarget;
    private readonly int[] _free;
    private readonly byte[] _where;

    // Frame slot -> UMEM chunk and back (-1: not this port's chunk). The identity for a port that owns its UMEM; a
    // port sharing another's UMEM has the chunks it took from the owner.
    private readonly int[] _chunkOfSlot;
    private readonly int[] _slotOfChunk;
    private int _freeCount;
    private int _inFill;
    private long _kernelAddressErrors;

    // The kernel's drop total (XDP_STATISTICS never resets) already added to ReceiveDroppedFrames.
    private long _kernelDropsCounted;

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
        _chunkOfSlot = new int[options.FrameCount];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = _free.Length - 1 - i;
        }

        _freeCount = _free.Length;

        var config = new XdpSocketConfig(
            ifindex, options.QueueId, options.FrameCount, options.FrameSizeBytes, options.HeadroomBytes,
            options.FillRingSize, options.CompletionRingSize, options.RxRingSize, options.TxRingSize, options.UseNeedWakeup);
        XdpPort? owner = options.ShareUmemWith;
        if (owner is not null)
        {
            CheckSharing(options, owner, ifindex);
            owner.CheckLendable(options.FrameCount);
            _slotOfChunk = new int[owner._slotOfChunk.Length];
            _slotOfChunk.AsSpan().Fill(-1);
            _socket = XdpSocket.CreateShared(config, owner._socket);
            try
            {
                _attachment = owner._attachment.AddReference();
            }
            catch
            {
                _socket.Dispose();
                throw;
            }

            _umem = _socket.UmemBase;
            IsNativeXdp = owner.IsNativeXdp;
            SharesUmem = true;
            try
            {
                owner.LendChunks(_chunkOfSlot);
                for (int slot = 0; slot < _chunkOfSlot.Length; slot++)
                {
                    _slotOfChunk[_chunkOfSlot[slot]] = slot;
                }

                BpfSyscalls.UpdateXskMap(_attachment.Map, (uint)options.QueueId, _socket.Handle);
            }
            catch
            {
                _socket.Dispose();
                _attachment.Release();
                throw;
            }

            RefillFillRing();
            return;
        }

        _slotOfChunk = new int[options.FrameCount];
        for (int i = 0; i < _chunkOfSlot.Length; i++)
        {
            _chunkOfSlot[i] = i;
            _slotOfChunk[i] = i;
        }

        XdpBindRequest request = options.BindMode switch
        {
            XdpBindMode.Copy => XdpBindRequest.Copy,
            XdpBindMode.ZeroCopy => XdpBindRequest.ZeroCopy,
            _ => XdpBindRequest.Auto,
        };

        _socket = XdpSocket.Create(config, request);
        FileDescriptorHandle? map = null;
        FileDescriptorHandle? program = null;
        FileDescriptorHandle? link = null;
        try
        {
            _umem = _socket.UmemBase;

            // One map entry per receive queue of the interface, so ports sharing this UMEM can take the other queues.
            map = BpfSyscalls.CreateXskMap((uint)Math.Max(options.QueueId + 1, ReceiveQueueCount(options.InterfaceName)));
            BpfSyscalls.UpdateXskMap(map, (uint)options.QueueId, _socket.Handle);
            program = BpfSyscalls.LoadXdpProgram(
                XdpRedirectProgram.Generate(map.Fd, (ushort)options.UdpPortLow, (ushort)options.UdpPortHigh),
                "edgeos_xsk");
            link = BpfSyscalls.AttachXdp(program, ifindex, options.ProgramMode == XdpProgramMode.Generic, out XdpAttachMode mode);
            IsNativeXdp = mode == XdpAttachMode.Native;
            _attachment = new XdpAttachment(map, program, link, options);
            RefillFillRing();
        }
        catch
        {
            link?.Dispose();
            program?.Dispose();
            map?.Dispose();
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

    /// <summary>Whether this port shares the UMEM of another port (<see cref="XdpPortOptions.ShareUmemWith"/>).</summary>
    public bool SharesUmem { get; }

    /// <summary>Chunk addresses the kernel returned that the port had not posted there (should stay 0).</summary>
    public long KernelAddressErrors => _kernelAddressErrors;

    /// <summary>
    /// Reads the kernel's XDP_STATISTICS for the socket (counters since the socket was created; reading does not reset
    /// them). One getsockopt call. The receive drops found (<see cref="XdpStatistics.RxDropped"/>,
    /// <see cref="XdpStatistics.RxInvalidDescriptors"/>, <see cref="XdpStatistics.RxRingFull"/>) are brought into
    /// <see cref="PacketPortStatistics.ReceiveDroppedFrames"/>, as <see cref="PacketPort.TryReadKernelDroppedFrames"/> does.
    /// </summary>
    /// <returns>The counters.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="IOException">getsockopt failed.</exception>
    public XdpStatistics GetXdpStatistics()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Interop.Xdp.StatisticsValue value = _socket.GetStatistics();
        _ = CountKernelDrops(value);
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

    private protected override bool TryReadKernelDroppedFramesCore(out long frames)
    {
        frames = CountKernelDrops(_socket.GetStatistics());
        return true;
    }

    /// <summary>
    /// The kernel's receive drops in <paramref name="value"/>, of which the part not yet counted is added to
    /// ReceiveDroppedFrames (a compare-and-swap, so concurrent readers add each drop once).
    /// </summary>
    private long CountKernelDrops(in Interop.Xdp.StatisticsValue value)
    {
        long total = (long)Math.Min(value.RxDropped + value.RxInvalidDescs + value.RxRingFull, long.MaxValue);
        long counted = Volatile.Read(ref _kernelDropsCounted);
        while (total > counted)
        {
            long seen = Interlocked.CompareExchange(ref _kernelDropsCounted, total, counted);
            if (seen == counted)
            {
                CountReceiveDropped(total - counted);
                break;
            }

            counted = seen;
        }

        return total;
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

    /// <summary>
    /// Blocks until frames are ready to receive, <paramref name="wakeup"/> is signalled (from any thread), or the timeout
    /// passes: poll(2) on the socket and the wake-up's eventfd. A signal the wait sees is consumed.
    /// </summary>
    /// <param name="timeoutMilliseconds">The longest wait; 0 to test, -1 for no limit.</param>
    /// <param name="wakeup">The wake-up other threads signal.</param>
    /// <returns><see langword="true"/> if frames are ready (a wake-up alone returns <see langword="false"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="wakeup"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The port or the wake-up was disposed.</exception>
    public bool WaitForReceive(int timeoutMilliseconds, ReceiveWakeup wakeup)
    {
        ArgumentNullException.ThrowIfNull(wakeup);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _socket.Rx.ConsumerAvailable(1) > 0 || _socket.WaitForReceive(timeoutMilliseconds, wakeup);
    }

    /// <summary>
    /// Like <see cref="WaitForReceive(int)"/>, but first watches the rx ring for up to
    /// <paramref name="spinMicroseconds"/> without a syscall, and sleeps in poll(2) only if nothing came. A receiver
    /// that empties its ring in microseconds and then sleeps is woken by the kernel every few frames (measured on veth:
    /// 2.7 frames per sleep at 50k frames/s); each wake-up is a cross-core interrupt sent from the core running the
    /// driver's receive path. A short spin keeps the thread awake through the gaps of a busy stream and costs at most
    /// <paramref name="spinMicroseconds"/> of CPU per idle wait.
    /// </summary>
    /// <param name="timeoutMilliseconds">The longest sleep after the spin; 0 to test, -1 for no limit.</param>
    /// <param name="spinMicroseconds">The longest spin before sleeping: 0 to 1,000,000 (0 is <see cref="WaitForReceive(int)"/>).</param>
    /// <returns><see langword="true"/> if frames are ready.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="spinMicroseconds"/> is outside 0..1,000,000.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public bool WaitForReceive(int timeoutMilliseconds, int spinMicroseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinMicroseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spinMicroseconds, 1_000_000);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (spinMicroseconds > 0)
        {
            long start = Stopwatch.GetTimestamp();
            long limit = spinMicroseconds * Stopwatch.Frequency / 1_000_000;
            do
            {
                if (_socket.Rx.ConsumerAvailable(1) > 0)
                {
                    return true;
                }

                Thread.SpinWait(8);
            }
            while (Stopwatch.GetTimestamp() - start < limit);
        }

        return WaitForReceive(timeoutMilliseconds);
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
            int slot = SlotOfAddress(descriptor.Address);
            int offset = (int)(descriptor.Address & (uint)(_frameSizeBytes - 1));
            if (slot < 0 || _where[slot] != WhereFill || descriptor.Length > (uint)(_frameSizeBytes - offset))
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
            frames[i] = Issue(slot, (nint)(_umem + ((long)_chunkOfSlot[slot] << _frameShift) + _headroomBytes), 0, _frameSizeBytes - _headroomBytes);
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
        // The program, map and link are shared by the ports on one UMEM: the last one detaches first, so the kernel
        // stops redirecting into sockets that are going away. Closing a socket removes its map entry; the UMEM
        // mapping goes with the last socket that uses it.
        _attachment.Release();
        _socket.Dispose();
    }

    /// <summary>The slot of the chunk holding <paramref name="address"/>, or -1 if that chunk is not this port's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOfAddress(ulong address)
    {
        ulong chunk = address >> _frameShift;
        return chunk < (ulong)_slotOfChunk.Length ? _slotOfChunk[(int)chunk] : -1;
    }

    /// <summary>
    /// Gives <paramref name="chunks"/>.Length chunks from the free stack to a port that shares this UMEM, for good:
    /// they are marked lent, so the kernel returning one of them through this port's rings is an address error.
    /// </summary>
    private void LendChunks(Span<int> chunks)
    {
        CheckLendable(chunks.Length);
        for (int i = 0; i < chunks.Length; i++)
        {
            int slot = _free[--_freeCount];
            _where[slot] = WhereLent;
            chunks[i] = _chunkOfSlot[slot];
        }
    }

    /// <summary>
    /// Throws unless <paramref name="count"/> frames are free to lend. Checked before the sharing socket is bound: the
    /// kernel releases a closed socket's queue binding asynchronously, so a bind undone at once would leave the queue
    /// busy (EBUSY) for a moment.
    /// </summary>
    private void CheckLendable(int count)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ReapCompletions();
        if (count > _freeCount)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"The port that owns the UMEM has {_freeCount} free frames, fewer than the {count} asked (FrameCount of the sharing port); give the owner a larger FrameCount."));
        }
    }

    private void CheckSharing(XdpPortOptions options, XdpPort owner, int ifindex)
    {
        ObjectDisposedException.ThrowIf(owner.IsDisposed, owner);
        if (owner.SharesUmem)
        {
            throw new ArgumentException("ShareUmemWith must name the port that owns the UMEM, not one that shares it.", nameof(options));
        }

        XdpPortOptions o = owner._attachment.Options;
        string? mismatch =
            ifindex != owner.InterfaceIndex ? $"InterfaceName must be the owner's ({o.InterfaceName}): the owner's XDP program serves one interface"
            : options.QueueId == owner.QueueId ? $"QueueId must differ from the owner's ({owner.QueueId}): a second socket on the owner's queue would share its fill and completion rings"
            : options.FrameSizeBytes != o.FrameSizeBytes || options.HeadroomBytes != o.HeadroomBytes ? $"FrameSizeBytes and HeadroomBytes must be the owner's ({o.FrameSizeBytes}, {o.HeadroomBytes}): they are the UMEM's"
            : options.UdpPortLow != o.UdpPortLow || options.UdpPortHigh != o.UdpPortHigh ? $"UdpPortLow..UdpPortHigh must be the owner's ({o.UdpPortLow}..{o.UdpPortHigh}): the owner's program does the redirecting"
            : options.UseNeedWakeup != o.UseNeedWakeup ? "UseNeedWakeup must be the owner's: a shared socket inherits it"
            : options.BindMode == XdpBindMode.ZeroCopy != owner.IsZeroCopy && options.BindMode != XdpBindMode.Auto ? $"BindMode must be Auto or the owner's mode ({(owner.IsZeroCopy ? "zero-copy" : "copy")}): a shared socket inherits it"
            : options.ProgramMode == XdpProgramMode.Generic && owner.IsNativeXdp ? "ProgramMode must be Auto when the owner's program runs natively: the owner's program is used"
            : null;
        if (mismatch is not null)
        {
            throw new ArgumentException(mismatch, nameof(options));
        }
    }

    /// <summary>The interface's receive queue count from /sys/class/net (1 if it cannot be read).</summary>
    private static int ReceiveQueueCount(string interfaceName)
    {
        try
        {
            return Math.Max(1, Directory.GetDirectories($"/sys/class/net/{interfaceName}/queues", "rx-*").Length);
        }
        catch (IOException)
        {
            return 1;
        }
        catch (UnauthorizedAccessException)
        {
            return 1;
        }
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
            int slot = SlotOfAddress(address);
            if (slot < 0 || _where[slot] != WhereTx)
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
            fill.AddressAt(fill.Local++) = (ulong)_chunkOfSlot[slot] << _frameShift;
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
