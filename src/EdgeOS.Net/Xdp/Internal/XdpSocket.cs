using System.Globalization;
using System.Runtime.InteropServices;
using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Xdp.Internal;

/// <summary>How the socket was asked to bind.</summary>
internal enum XdpBindRequest
{
    Auto,
    Copy,
    ZeroCopy,
}

/// <summary>Sizes and placement for <see cref="XdpSocket.Create"/>; validated by the public options type.</summary>
internal readonly record struct XdpSocketConfig(
    int InterfaceIndex,
    int QueueId,
    int FrameCount,
    int FrameSizeBytes,
    int HeadroomBytes,
    int FillRingSize,
    int CompletionRingSize,
    int RxRingSize,
    int TxRingSize,
    bool UseNeedWakeup);

/// <summary>
/// An AF_XDP socket with its UMEM and its four mapped rings. Owns the socket descriptor, the UMEM mapping and the
/// ring mappings; <see cref="Dispose"/> clears the derived pointers, then unmaps, then closes.
/// </summary>
/// <remarks>
/// Setup order (each step needs the previous one): socket; UMEM mmap and XDP_UMEM_REG; ring sizes
/// (XDP_UMEM_FILL_RING, XDP_UMEM_COMPLETION_RING, XDP_RX_RING, XDP_TX_RING); XDP_MMAP_OFFSETS; mmap of each ring
/// after validating its offsets; bind to (interface, queue). A zero-copy bind that fails is not retried on the same
/// socket (a failed bind may leave the UMEM's rings attached to a destroyed pool on some kernels); the whole socket is
/// rebuilt in copy mode instead.
/// </remarks>
internal sealed unsafe class XdpSocket : IDisposable
{
    internal XdpRing Fill;
    internal XdpRing Completion;
    internal XdpRing Rx;
    internal XdpRing Tx;

    private readonly FileDescriptorHandle _socket;
    private nint _umem;
    private nuint _umemLength;

    // The socket that registered the UMEM (null: this one). The UMEM mapping lives until the owner and every socket
    // sharing it are disposed: _umemReferences counts them on the owner.
    private XdpSocket? _umemOwner;
    private int _umemReferences = 1;
    private nint _umemMapping;

    private XdpSocket(FileDescriptorHandle socket, XdpSocketConfig config)
    {
        _socket = socket;
        Config = config;
    }

    internal XdpSocketConfig Config { get; }

    internal FileDescriptorHandle Handle => _socket;

    internal byte* UmemBase => (byte*)_umem;

    internal ulong UmemLength => _umemLength;

    internal bool IsZeroCopy { get; private set; }

    internal bool NeedWakeupEnabled { get; private set; }

    /// <summary>Creates and binds the socket; Auto tries zero-copy, then copy mode.</summary>
    internal static XdpSocket Create(XdpSocketConfig config, XdpBindRequest request)
    {
        KernelNetThrowHelper.EnsureLinux("AF_XDP");
        if (request == XdpBindRequest.Auto)
        {
            XdpSocket? socket = TryCreate(config, Interop.Xdp.ZeroCopy, out int errno, out string operation);
            if (socket is not null)
            {
                return socket;
            }

            if (errno is Interop.Sock.Eperm or Interop.Sock.Eacces or Interop.Sock.Enodev or Interop.Sock.Ebusy or Interop.Sock.Eafnosupport)
            {
                KernelNetThrowHelper.ThrowErrno(errno, operation, CapabilityFor(operation));
            }

            request = XdpBindRequest.Copy;
        }

        ushort flags = request == XdpBindRequest.ZeroCopy ? Interop.Xdp.ZeroCopy : Interop.Xdp.Copy;
        XdpSocket? created = TryCreate(config, flags, out int copyErrno, out string copyOperation);
        if (created is null)
        {
            KernelNetThrowHelper.ThrowErrno(copyErrno, copyOperation, CapabilityFor(copyOperation));
        }

        return created;
    }

    /// <summary>
    /// Creates a socket that shares <paramref name="owner"/>'s UMEM (XDP_SHARED_UMEM) and binds it to another queue
    /// (or interface): it gets its own fill and completion rings, as the kernel requires when the queue differs, and
    /// inherits the owner's copy / zero-copy mode and need-wakeup setting (a shared bind may not name them).
    /// </summary>
    internal static XdpSocket CreateShared(XdpSocketConfig config, XdpSocket owner)
    {
        KernelNetThrowHelper.EnsureLinux("AF_XDP");
        int fd = Interop.Sock.Socket(Interop.Xdp.AfXdp, Interop.Sock.SockRaw | Interop.Sock.SockCloexec, 0);
        if (fd < 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("socket(AF_XDP)", KernelNetThrowHelper.CapNetRaw);
        }

        var socket = new XdpSocket(new FileDescriptorHandle(fd), config);
        if (!owner.TryAddUmemReference())
        {
            socket._socket.Dispose();
            throw new ObjectDisposedException(nameof(XdpSocket), "The socket that owns the UMEM was disposed.");
        }

        socket._umemOwner = owner;
        socket._umem = owner._umem;
        socket._umemLength = owner._umemLength;
        try
        {
            if (!socket.SetupShared(owner, out int errno, out string operation))
            {
                KernelNetThrowHelper.ThrowErrno(errno, operation, CapabilityFor(operation));
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Wakes the kernel's receive processing if it asked for it (need-wakeup) by a non-blocking recvfrom; without need-wakeup the kernel never sleeps on the fill ring.</summary>
    internal void WakeForReceive()
    {
        if (NeedWakeupEnabled && Fill.NeedsWakeup)
        {
            _ = Interop.Sock.RecvFrom(_socket.Fd, null, 0, Interop.Sock.MsgDontWait, null, null);
        }
    }

    /// <summary>
    /// Kicks transmission if the kernel asked for it (always in copy mode without need-wakeup). EAGAIN, EBUSY,
    /// ENOBUFS and ENETDOWN are transient: the frames stay in the tx ring and go on the next kick.
    /// </summary>
    internal void KickTransmit()
    {
        if (!NeedWakeupEnabled || Tx.NeedsWakeup)
        {
            _ = Interop.Sock.SendTo(_socket.Fd, null, 0, Interop.Sock.MsgDontWait, null, 0);
        }
    }

    /// <summary>Blocks up to <paramref name="timeoutMilliseconds"/> until the rx ring has entries (poll POLLIN).</summary>
    internal bool WaitForReceive(int timeoutMilliseconds)
    {
        var pollFd = new Interop.Sock.PollFd { Fd = _socket.Fd, Events = Interop.Sock.PollIn };
        return Interop.Sock.Poll(&pollFd, 1, timeoutMilliseconds) > 0;
    }

    /// <summary>Like <see cref="WaitForReceive(int)"/>, also woken by <paramref name="wakeup"/>.</summary>
    internal bool WaitForReceive(int timeoutMilliseconds, ReceiveWakeup wakeup) => wakeup.PollWith(_socket.Fd, timeoutMilliseconds);

    /// <summary>XDP_STATISTICS; fields the running kernel does not report stay 0.</summary>
    internal Interop.Xdp.StatisticsValue GetStatistics()
    {
        Interop.Xdp.StatisticsValue value = default;
        int length = sizeof(Interop.Xdp.StatisticsValue);
        if (Interop.Sock.GetSockOpt(_socket.Fd, Interop.Xdp.SolXdp, Interop.Xdp.Statistics, &value, &length) != 0)
        {
            KernelNetThrowHelper.ThrowLastErrno("getsockopt(XDP_STATISTICS)", KernelNetThrowHelper.CapNetRaw);
        }

        return value;
    }

    public void Dispose()
    {
        // Derived pointers first, so nothing can reach a mapping after it is gone; then the mappings; then the fd.
        UnmapRing(ref Rx);
        UnmapRing(ref Tx);
        UnmapRing(ref Fill);
        UnmapRing(ref Completion);
        _socket.Dispose();
        if (_umem == 0)
        {
            return;
        }

        _umem = 0;
        (_umemOwner ?? this).ReleaseUmemReference();
    }

    private bool TryAddUmemReference()
    {
        int references = Volatile.Read(ref _umemReferences);
        while (references > 0)
        {
            int seen = Interlocked.CompareExchange(ref _umemReferences, references + 1, references);
            if (seen == references)
            {
                return _umem != 0 || ReleaseAndFail();
            }

            references = seen;
        }

        return false;
    }

    private bool ReleaseAndFail()
    {
        ReleaseUmemReference();
        return false;
    }

    /// <summary>Drops one user of the UMEM mapping; the last one unmaps it (the owner's pointer and length).</summary>
    private void ReleaseUmemReference()
    {
        if (Interlocked.Decrement(ref _umemReferences) == 0)
        {
            nint umem = _umemMapping;
            _umemMapping = 0;
            if (umem != 0)
            {
                _ = Interop.Mman.Munmap(umem, _umemLength);
            }
        }
    }

    private static string CapabilityFor(string operation) =>
        operation.StartsWith("bind", StringComparison.Ordinal) ? KernelNetThrowHelper.CapNetAdmin : KernelNetThrowHelper.CapNetRaw;

    private static XdpSocket? TryCreate(XdpSocketConfig config, ushort modeFlag, out int errno, out string operation)
    {
        operation = "socket(AF_XDP)";
        int fd = Interop.Sock.Socket(Interop.Xdp.AfXdp, Interop.Sock.SockRaw | Interop.Sock.SockCloexec, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        var socket = new XdpSocket(new FileDescriptorHandle(fd), config);
        try
        {
            if (!socket.Setup(modeFlag, out errno, out operation))
            {
                socket.Dispose();
                return null;
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool Setup(ushort modeFlag, out int errno, out string operation)
    {
        XdpSocketConfig c = Config;
        int fd = _socket.Fd;

        operation = "mmap(UMEM)";
        _umemLength = (nuint)((long)c.FrameCount * c.FrameSizeBytes);
        nint umem = Interop.Mman.Mmap(0, _umemLength, Interop.Mman.ProtRead | Interop.Mman.ProtWrite, Interop.Mman.MapPrivate | Interop.Mman.MapAnonymous | Interop.Mman.MapPopulate, -1, 0);
        if (umem == Interop.Mman.MapFailed)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        _umem = umem;
        _umemMapping = umem;

        operation = "setsockopt(XDP_UMEM_REG)";
        var registration = new Interop.Xdp.UmemRegistration
        {
            Address = (ulong)umem,
            Length = _umemLength,
            ChunkSize = (uint)c.FrameSizeBytes,
            Headroom = (uint)c.HeadroomBytes,
        };
        if (Interop.Sock.SetSockOpt(fd, Interop.Xdp.SolXdp, Interop.Xdp.UmemReg, &registration, sizeof(Interop.Xdp.UmemRegistration)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        if (!SetupRings(fd, out errno, out operation))
        {
            return false;
        }

        operation = string.Create(CultureInfo.InvariantCulture, $"bind(AF_XDP) to interface index {c.InterfaceIndex} queue {c.QueueId} in {(modeFlag == Interop.Xdp.ZeroCopy ? "zero-copy" : "copy")} mode");
        var address = new Interop.Xdp.SockAddrXdp
        {
            Family = Interop.Xdp.AfXdp,
            Flags = (ushort)(modeFlag | (c.UseNeedWakeup ? Interop.Xdp.UseNeedWakeup : 0)),
            IfIndex = (uint)c.InterfaceIndex,
            QueueId = (uint)c.QueueId,
        };
        if (Interop.Sock.Bind(fd, &address, sizeof(Interop.Xdp.SockAddrXdp)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        NeedWakeupEnabled = c.UseNeedWakeup;
        uint options = 0;
        int length = sizeof(uint);
        IsZeroCopy = Interop.Sock.GetSockOpt(fd, Interop.Xdp.SolXdp, Interop.Xdp.Options, &options, &length) == 0
            && (options & Interop.Xdp.OptionsZeroCopy) != 0;
        errno = 0;
        return true;
    }

    private bool SetupRings(int fd, out int errno, out string operation)
    {
        XdpSocketConfig c = Config;
        if (!SetRingSize(fd, Interop.Xdp.UmemFillRing, c.FillRingSize, "setsockopt(XDP_UMEM_FILL_RING)", out errno, out operation)
            || !SetRingSize(fd, Interop.Xdp.UmemCompletionRing, c.CompletionRingSize, "setsockopt(XDP_UMEM_COMPLETION_RING)", out errno, out operation)
            || !SetRingSize(fd, Interop.Xdp.RxRing, c.RxRingSize, "setsockopt(XDP_RX_RING)", out errno, out operation)
            || !SetRingSize(fd, Interop.Xdp.TxRing, c.TxRingSize, "setsockopt(XDP_TX_RING)", out errno, out operation))
        {
            return false;
        }

        operation = "getsockopt(XDP_MMAP_OFFSETS)";
        Interop.Xdp.MmapOffsetsValue offsets = default;
        int length = sizeof(Interop.Xdp.MmapOffsetsValue);
        if (Interop.Sock.GetSockOpt(fd, Interop.Xdp.SolXdp, Interop.Xdp.MmapOffsets, &offsets, &length) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        if (length != sizeof(Interop.Xdp.MmapOffsetsValue))
        {
            // Kernels before 5.4 return the layout without the flags word; need-wakeup needs 5.4.
            throw new PlatformNotSupportedException(string.Create(
                CultureInfo.InvariantCulture,
                $"XDP_MMAP_OFFSETS returned {length} bytes, not {sizeof(Interop.Xdp.MmapOffsetsValue)}: the kernel is older than Linux 5.4, which AF_XDP in this package needs."));
        }

        if (!MapRing(fd, "fill", offsets.Fill, c.FillRingSize, XdpRingDescriptor.UmemEntryBytes, Interop.Xdp.UmemPgoffFillRing, producer: true, ref Fill, out errno, out operation)
            || !MapRing(fd, "completion", offsets.Completion, c.CompletionRingSize, XdpRingDescriptor.UmemEntryBytes, Interop.Xdp.UmemPgoffCompletionRing, producer: false, ref Completion, out errno, out operation)
            || !MapRing(fd, "rx", offsets.Rx, c.RxRingSize, XdpRingDescriptor.RxTxEntryBytes, Interop.Xdp.PgoffRxRing, producer: false, ref Rx, out errno, out operation)
            || !MapRing(fd, "tx", offsets.Tx, c.TxRingSize, XdpRingDescriptor.RxTxEntryBytes, Interop.Xdp.PgoffTxRing, producer: true, ref Tx, out errno, out operation))
        {
            return false;
        }

        return true;
    }

    private bool SetupShared(XdpSocket owner, out int errno, out string operation)
    {
        XdpSocketConfig c = Config;
        int fd = _socket.Fd;
        if (!SetupRings(fd, out errno, out operation))
        {
            return false;
        }

        operation = string.Create(CultureInfo.InvariantCulture, $"bind(AF_XDP, XDP_SHARED_UMEM) to interface index {c.InterfaceIndex} queue {c.QueueId}");
        var address = new Interop.Xdp.SockAddrXdp
        {
            Family = Interop.Xdp.AfXdp,
            Flags = Interop.Xdp.SharedUmem,
            IfIndex = (uint)c.InterfaceIndex,
            QueueId = (uint)c.QueueId,
            SharedUmemFd = (uint)owner._socket.Fd,
        };
        if (Interop.Sock.Bind(fd, &address, sizeof(Interop.Xdp.SockAddrXdp)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        NeedWakeupEnabled = owner.NeedWakeupEnabled;
        IsZeroCopy = owner.IsZeroCopy;
        errno = 0;
        return true;
    }

    private static bool SetRingSize(int fd, int option, int entries, string name, out int errno, out string operation)
    {
        operation = name;
        int value = entries;
        if (Interop.Sock.SetSockOpt(fd, Interop.Xdp.SolXdp, option, &value, sizeof(int)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        errno = 0;
        return true;
    }

    private static bool MapRing(int fd, string name, in Interop.Xdp.RingOffset offsets, int entries, int entryBytes, long pageOffset, bool producer, ref XdpRing ring, out int errno, out string operation)
    {
        operation = string.Create(CultureInfo.InvariantCulture, $"mmap({name} ring)");
        ulong mappingBytes = XdpRingDescriptor.Validate(name, offsets, (uint)entries, entryBytes);
        nint address = Interop.Mman.Mmap(0, (nuint)mappingBytes, Interop.Mman.ProtRead | Interop.Mman.ProtWrite, Interop.Mman.MapShared | Interop.Mman.MapPopulate, fd, pageOffset);
        if (address == Interop.Mman.MapFailed)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        byte* map = (byte*)address;
        ring.MapAddress = address;
        ring.MapLength = (nuint)mappingBytes;
        ring.Producer = (uint*)(map + offsets.Producer);
        ring.Consumer = (uint*)(map + offsets.Consumer);
        ring.Flags = (uint*)(map + offsets.Flags);
        ring.Entries = map + offsets.Desc;
        ring.Size = (uint)entries;
        ring.Mask = (uint)entries - 1;
        if (producer)
        {
            ring.Local = Volatile.Read(ref *ring.Producer);
            ring.Cached = Volatile.Read(ref *ring.Consumer) + ring.Size;
        }
        else
        {
            ring.Local = Volatile.Read(ref *ring.Consumer);
            ring.Cached = Volatile.Read(ref *ring.Producer);
        }

        errno = 0;
        return true;
    }

    private static void UnmapRing(ref XdpRing ring)
    {
        nint address = ring.MapAddress;
        nuint length = ring.MapLength;
        ring = default;
        if (address != 0)
        {
            _ = Interop.Mman.Munmap(address, length);
        }
    }
}
