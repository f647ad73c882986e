using System.Globalization;
using System.Runtime.InteropServices;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.PacketSocket;

/// <summary>
/// A packet port over an AF_PACKET socket bound to one interface: receive through a TPACKET_V3 ring of blocks
/// mapped from the kernel (zero-copy to the user), transmit with send(2). The fallback that works on any Linux
/// interface, with no XDP support needed. Needs CAP_NET_RAW. Sees every frame the interface receives (the kernel
/// stack also still gets them).
/// </summary>
/// <remarks>
/// <para>
/// Receive: the kernel fills blocks in ring order and hands a block over (TP_STATUS_USER) when it is full or its
/// timeout expires. Each packet of a block is issued as a frame pointing into the mapping; the block goes back to the
/// kernel (TP_STATUS_KERNEL) when all its packets have been issued and every one of those frames has been given back
/// (released, or transmitted, since transmit copies). Holding frames therefore holds their blocks: if the user keeps
/// every block, the kernel drops new packets (counted by the kernel, not by the port).
/// </para>
/// <para>
/// Transmit uses send(2) on the bound socket, one call per frame, not a TPACKET TX ring: the kernel copies a frame
/// into an skb either way, a TX ring only saves the per-frame syscall (one send kicks a batch) at the price of a
/// second mapping and a per-frame status handshake. For the fallback port, the simpler path with no shared state
/// is the better trade; a received frame can still be transmitted in place (an echo needs no user-space copy).
/// Sent frames are the port's again as soon as send returns. EAGAIN/ENOBUFS end the accepted prefix.
/// </para>
/// <para>
/// Frame slots: the first <c>BlockCount * (BlockSizeBytes / 64)</c> slots are receive slots (block index times
/// slots per block plus the packet's index in its block: a packet record is at least 64 bytes, so a block can never
/// hold more); the rest are transmit frames in port-owned memory.
/// </para>
/// </remarks>
public sealed unsafe class PacketSocketPort : PacketPort
{
    private const int PacketRecordBytesMin = 64;

    private readonly FileDescriptorHandle _socket;
    private readonly int _blockSizeBytes;
    private readonly int _blockCount;
    private readonly int _slotsPerBlock;
    private readonly int _receiveSlots;
    private readonly int _transmitFrameSizeBytes;
    private readonly int[] _blockOutstanding;
    private readonly bool[] _blockIssued;
    private readonly int[] _transmitFree;
    private byte* _ring;
    private nuint _ringLength;
    private byte* _transmitMemory;
    private nuint _transmitLength;
    private int _transmitFreeCount;

    // Cursor in the block being issued.
    private int _currentBlock;
    private bool _currentOpen;
    private int _currentRemaining;
    private int _currentIndex;
    private byte* _currentPacket;
    private long _malformedRecords;

    // PACKET_STATISTICS resets the kernel's counters at every read: the drops of every read, summed.
    private long _kernelDroppedFrames;

    /// <summary>
    /// Creates the socket, maps its TPACKET_V3 receive ring and binds it to the interface. Cost: a few syscalls and
    /// <c>BlockSizeBytes * BlockCount + TransmitFrameCount * TransmitFrameSizeBytes</c> bytes.
    /// </summary>
    /// <param name="options">Interface and sizes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException">No interface with that name exists.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="NetPrivilegeException">The process lacks CAP_NET_RAW.</exception>
    /// <exception cref="IOException">Another kernel call failed.</exception>
    public PacketSocketPort(PacketSocketPortOptions options)
        : base(NameOf(options), SlotCount(options), options.TransmitFrameSizeBytes)
    {
        KernelNetThrowHelper.EnsureLinux("PacketSocketPort");
        int ifindex = (int)Interop.Sock.IfNameToIndex(options.InterfaceName);
        if (ifindex == 0)
        {
            KernelNetThrowHelper.ThrowInterfaceNotFound(options.InterfaceName);
        }

        InterfaceIndex = ifindex;
        _blockSizeBytes = options.BlockSizeBytes;
        _blockCount = options.BlockCount;
        _slotsPerBlock = options.BlockSizeBytes / PacketRecordBytesMin;
        _receiveSlots = _slotsPerBlock * _blockCount;
        _transmitFrameSizeBytes = options.TransmitFrameSizeBytes;
        _blockOutstanding = new int[_blockCount];
        _blockIssued = new bool[_blockCount];
        _transmitFree = new int[options.TransmitFrameCount];
        for (int i = 0; i < _transmitFree.Length; i++)
        {
            _transmitFree[i] = _receiveSlots + _transmitFree.Length - 1 - i;
        }

        _transmitFreeCount = _transmitFree.Length;

        // Protocol 0 at creation: the socket receives nothing until bind names ETH_P_ALL and the interface, so no
        // packet from another interface lands in the ring first.
        int fd = Interop.Sock.Socket(Interop.PacketSocket.AfPacket, Interop.Sock.SockRaw | Interop.Sock.SockCloexec, 0);
        if (fd < 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("socket(AF_PACKET, SOCK_RAW)", KernelNetThrowHelper.CapNetRaw);
        }

        _socket = new FileDescriptorHandle(fd);
        try
        {
            Setup(options, ifindex);
        }
        catch
        {
            DisposeCore();
            throw;
        }
    }

    /// <summary>The interface index the socket is bound to.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Packet records in the ring whose header did not fit their block (should stay 0); they are skipped.</summary>
    public long MalformedRecords => _malformedRecords;

    /// <summary>Blocks until a receive block is ready or the timeout passes (poll(2) on the socket).</summary>
    /// <param name="timeoutMilliseconds">The longest wait; 0 to test, -1 for no limit.</param>
    /// <returns><see langword="true"/> if frames are ready.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public bool WaitForReceive(int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_currentOpen || ((Volatile.Read(ref BlockAt(_currentBlock)->BlockStatus) & Interop.PacketSocket.TpStatusUser) != 0 && !_blockIssued[_currentBlock]))
        {
            return true;
        }

        var pollFd = new Interop.Sock.PollFd { Fd = _socket.Fd, Events = Interop.Sock.PollIn };
        return Interop.Sock.Poll(&pollFd, 1, timeoutMilliseconds) > 0;
    }

    /// <summary>
    /// Blocks until a receive block is ready, <paramref name="wakeup"/> is signalled (from any thread), or the timeout
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
        if (_currentOpen || ((Volatile.Read(ref BlockAt(_currentBlock)->BlockStatus) & Interop.PacketSocket.TpStatusUser) != 0 && !_blockIssued[_currentBlock]))
        {
            return true;
        }

        return wakeup.PollWith(_socket.Fd, timeoutMilliseconds);
    }

    /// <summary>
    /// Reads and resets the kernel's counters for the socket (PACKET_STATISTICS): packets seen (including the dropped
    /// ones) and dropped since the kernel's counters were last read, by this method or by
    /// <see cref="PacketPort.TryReadKernelDroppedFrames"/>. The drops are added to the total that
    /// <see cref="PacketPort.TryReadKernelDroppedFrames"/> reports, so no drop is lost to either.
    /// </summary>
    /// <returns>(packets, drops) since the kernel's counters were last read.</returns>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="IOException">getsockopt failed.</exception>
    public (long Packets, long Drops) ReadKernelStatistics()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Interop.PacketSocket.StatisticsV3 value = default;
        int length = sizeof(Interop.PacketSocket.StatisticsV3);
        if (Interop.Sock.GetSockOpt(_socket.Fd, Interop.PacketSocket.SolPacket, Interop.PacketSocket.PacketStatistics, &value, &length) != 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("getsockopt(PACKET_STATISTICS)", KernelNetThrowHelper.CapNetRaw);
        }

        // The kernel hands each drop to exactly one reader (it swaps its counter with 0), so adding here counts it once.
        Interlocked.Add(ref _kernelDroppedFrames, value.Drops);
        CountReceiveDropped(value.Drops);
        return (value.Packets, value.Drops);
    }

    private protected override bool TryReadKernelDroppedFramesCore(out long frames)
    {
        _ = ReadKernelStatistics();
        frames = Volatile.Read(ref _kernelDroppedFrames);
        return true;
    }

    private protected override int ReceiveCore(Span<Frame> frames)
    {
        int issued = 0;
        while (issued < frames.Length)
        {
            if (!_currentOpen && !OpenCurrentBlock())
            {
                break;
            }

            if (_currentRemaining == 0)
            {
                CloseCurrentBlock();
                continue;
            }

            byte* blockStart = (byte*)BlockAt(_currentBlock);
            byte* blockEnd = blockStart + _blockSizeBytes;
            var header = (Interop.PacketSocket.TPacket3Header*)_currentPacket;
            if (_currentIndex >= _slotsPerBlock || (byte*)header + sizeof(Interop.PacketSocket.TPacket3Header) > blockEnd
                || (byte*)header + header->Mac + header->SnapLength > blockEnd)
            {
                // A record that does not fit its block would be a kernel bug; never read past the block.
                _malformedRecords++;
                _currentRemaining = 0;
                continue;
            }

            int slot = (_currentBlock * _slotsPerBlock) + _currentIndex;
            int length = (int)header->SnapLength;
            frames[issued++] = Issue(slot, (nint)((byte*)header + header->Mac), length, length);
            _blockOutstanding[_currentBlock]++;
            _currentPacket += header->NextOffset;
            _currentIndex++;
            _currentRemaining--;
        }

        return issued;
    }

    private protected override int AllocateCore(Span<Frame> frames)
    {
        int count = Math.Min(frames.Length, _transmitFreeCount);
        for (int i = 0; i < count; i++)
        {
            int slot = _transmitFree[--_transmitFreeCount];
            frames[i] = Issue(slot, (nint)(_transmitMemory + ((long)(slot - _receiveSlots) * _transmitFrameSizeBytes)), 0, _transmitFrameSizeBytes);
        }

        return count;
    }

    private protected override int TransmitCore(ReadOnlySpan<Frame> frames)
    {
        int fd = _socket.Fd;
        int accepted = 0;
        for (; accepted < frames.Length; accepted++)
        {
            Frame frame = frames[accepted];
            nint sent = Interop.Sock.SendTo(fd, (void*)SlotAddress(frame.Slot), (nuint)frame.Length, Interop.Sock.MsgDontWait, null, 0);
            if (sent < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Interop.Sock.Eagain or Interop.Sock.Enobufs or Interop.Sock.Eintr || accepted > 0)
                {
                    break;
                }

                KernelNetThrowHelper.ThrowErrno(errno, string.Create(CultureInfo.InvariantCulture, $"send(AF_PACKET) on '{Name}'"), KernelNetThrowHelper.CapNetRaw);
            }
        }

        // send(2) copied each accepted frame into an skb: the slots are free again at once.
        for (int i = 0; i < accepted; i++)
        {
            RecycleCore(frames[i].Slot);
        }

        return accepted;
    }

    private protected override void RecycleCore(int slot)
    {
        if (slot >= _receiveSlots)
        {
            _transmitFree[_transmitFreeCount++] = slot;
            return;
        }

        int block = slot / _slotsPerBlock;
        if (--_blockOutstanding[block] == 0 && _blockIssued[block])
        {
            ReturnBlock(block);
        }
    }

    private protected override void DisposeCore()
    {
        byte* ring = _ring;
        _ring = null;
        _currentPacket = null;
        _currentOpen = false;
        if (ring != null)
        {
            _ = Interop.Mman.Munmap((nint)ring, _ringLength);
        }

        _socket?.Dispose();
        byte* transmit = _transmitMemory;
        _transmitMemory = null;
        if (transmit != null)
        {
            _ = Interop.Mman.Munmap((nint)transmit, _transmitLength);
        }
    }

    private Interop.PacketSocket.BlockDescriptor* BlockAt(int block) => (Interop.PacketSocket.BlockDescriptor*)(_ring + ((long)block * _blockSizeBytes));

    /// <summary>Opens the current block if the kernel has handed it over (acquire load of its status).</summary>
    private bool OpenCurrentBlock()
    {
        Interop.PacketSocket.BlockDescriptor* block = BlockAt(_currentBlock);

        // Acquire: the block's packets are read only after we see TP_STATUS_USER, which the kernel stores after
        // writing them (smp_wmb before the status store in prb_close_block).
        if ((Volatile.Read(ref block->BlockStatus) & Interop.PacketSocket.TpStatusUser) == 0 || _blockIssued[_currentBlock] || _blockOutstanding[_currentBlock] != 0)
        {
            return false;
        }

        uint first = block->OffsetToFirstPacket;
        _currentOpen = true;
        _currentIndex = 0;
        if (first < (uint)sizeof(Interop.PacketSocket.BlockDescriptor) || first >= (uint)_blockSizeBytes)
        {
            _malformedRecords++;
            _currentRemaining = 0;
            _currentPacket = (byte*)block;
            return true;
        }

        _currentRemaining = (int)Math.Min(block->PacketCount, (uint)int.MaxValue);
        _currentPacket = (byte*)block + first;
        return true;
    }

    private void CloseCurrentBlock()
    {
        int block = _currentBlock;
        _blockIssued[block] = true;
        _currentOpen = false;
        _currentPacket = null;
        _currentBlock = block + 1 == _blockCount ? 0 : block + 1;
        if (_blockOutstanding[block] == 0)
        {
            ReturnBlock(block);
        }
    }

    private void ReturnBlock(int block)
    {
        _blockIssued[block] = false;

        // Release: every read of the block's packets happens before the kernel may refill it.
        Volatile.Write(ref BlockAt(block)->BlockStatus, Interop.PacketSocket.TpStatusKernel);
    }

    private void Setup(PacketSocketPortOptions options, int ifindex)
    {
        int fd = _socket.Fd;
        int version = Interop.PacketSocket.TPacketV3;
        if (Interop.Sock.SetSockOpt(fd, Interop.PacketSocket.SolPacket, Interop.PacketSocket.PacketVersion, &version, sizeof(int)) != 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("setsockopt(PACKET_VERSION, TPACKET_V3)", KernelNetThrowHelper.CapNetRaw);
        }

        // Our own transmissions (and the kernel's) are not received back; best effort, Linux 4.20+.
        int one = 1;
        _ = Interop.Sock.SetSockOpt(fd, Interop.PacketSocket.SolPacket, Interop.PacketSocket.PacketIgnoreOutgoing, &one, sizeof(int));
        if (options.BypassQdisc)
        {
            _ = Interop.Sock.SetSockOpt(fd, Interop.PacketSocket.SolPacket, Interop.PacketSocket.PacketQdiscBypass, &one, sizeof(int));
        }

        const int RecordFrameBytes = 2048;
        var request = new Interop.PacketSocket.TPacketReq3
        {
            BlockSize = (uint)options.BlockSizeBytes,
            BlockCount = (uint)options.BlockCount,
            FrameSize = RecordFrameBytes,
            FrameCount = (uint)((long)options.BlockSizeBytes * options.BlockCount / RecordFrameBytes),
            RetireBlockTimeoutMilliseconds = (uint)options.BlockTimeoutMilliseconds,
        };
        if (Interop.Sock.SetSockOpt(fd, Interop.PacketSocket.SolPacket, Interop.PacketSocket.PacketRxRing, &request, sizeof(Interop.PacketSocket.TPacketReq3)) != 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("setsockopt(PACKET_RX_RING)", KernelNetThrowHelper.CapNetRaw);
        }

        _ringLength = (nuint)((long)options.BlockSizeBytes * options.BlockCount);
        nint ring = Interop.Mman.Mmap(0, _ringLength, Interop.Mman.ProtRead | Interop.Mman.ProtWrite, Interop.Mman.MapShared | Interop.Mman.MapPopulate, fd, 0);
        if (ring == Interop.Mman.MapFailed)
        {
            KernelNetThrowHelper.ThrowLastErrno("mmap(PACKET_RX_RING)", KernelNetThrowHelper.CapNetRaw);
        }

        _ring = (byte*)ring;

        _transmitLength = (nuint)((long)options.TransmitFrameCount * options.TransmitFrameSizeBytes);
        nint transmit = Interop.Mman.Mmap(0, _transmitLength, Interop.Mman.ProtRead | Interop.Mman.ProtWrite, Interop.Mman.MapPrivate | Interop.Mman.MapAnonymous, -1, 0);
        if (transmit == Interop.Mman.MapFailed)
        {
            KernelNetThrowHelper.ThrowLastErrno("mmap(transmit frames)", KernelNetThrowHelper.CapNetRaw);
        }

        _transmitMemory = (byte*)transmit;

        var address = new Interop.PacketSocket.SockAddrLl
        {
            Family = Interop.PacketSocket.AfPacket,
            Protocol = Interop.PacketSocket.EthPAllNetworkOrder,
            IfIndex = ifindex,
        };
        if (Interop.Sock.Bind(fd, &address, sizeof(Interop.PacketSocket.SockAddrLl)) != 0)
        {
            KernelNetThrowHelper.ThrowLastErrno(string.Create(CultureInfo.InvariantCulture, $"bind(AF_PACKET) to '{options.InterfaceName}'"), KernelNetThrowHelper.CapNetRaw);
        }
    }

    private static string NameOf(PacketSocketPortOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.InterfaceName, nameof(options));
        return "packet:" + options.InterfaceName;
    }

    private static int SlotCount(PacketSocketPortOptions options)
    {
        if (options.BlockSizeBytes < 4096 || options.BlockSizeBytes > PacketSocketPortOptions.BlockSizeBytesMax || !int.IsPow2(options.BlockSizeBytes))
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                options.BlockSizeBytes,
                string.Create(CultureInfo.InvariantCulture, $"BlockSizeBytes must be a power of two from 4096 to {PacketSocketPortOptions.BlockSizeBytesMax}."));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockCount, 2, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockCount, PacketSocketPortOptions.BlockCountMax, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockTimeoutMilliseconds, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockTimeoutMilliseconds, 10_000, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TransmitFrameCount, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.TransmitFrameCount, PacketSocketPortOptions.TransmitFrameCountMax, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TransmitFrameSizeBytes, 64, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.TransmitFrameSizeBytes, 65536, nameof(options));
        long receiveSlots = (long)options.BlockCount * (options.BlockSizeBytes / PacketRecordBytesMin);
        long total = receiveSlots + options.TransmitFrameCount;
        if (total > 1 << 24)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BlockCount * BlockSizeBytes / 64 + TransmitFrameCount must not exceed 2^24 frame slots.");
        }

        return (int)total;
    }
}
