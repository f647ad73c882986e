using EdgeOS.Net.Internal;

namespace EdgeOS.Net.Pcap;

/// <summary>
/// A port over pcap files: <see cref="PacketPort.Receive"/> replays the records of a file (in order, as fast as
/// they are asked for) and <see cref="PacketPort.Transmit"/> captures frames into a file. Either side is optional.
/// </summary>
/// <remarks>
/// <para>
/// Each frame carries a timestamp (<see cref="GetTimestampNanoseconds"/>): a replayed frame has its record's, an
/// allocated frame has none (0) until <see cref="SetTimestampNanoseconds"/>. Captured frames are written with their
/// timestamp, or with the clock's time if they have none, so replay -&gt; process -&gt; capture keeps the times.
/// </para>
/// <para>
/// Records longer than a frame are dropped (counted in <see cref="PacketPortStatistics.ReceiveDroppedFrames"/>); a
/// truncated or corrupt file throws <see cref="PcapFormatException"/> from <see cref="PacketPort.Receive"/> with the
/// byte offset, after the frames of the good records before it were delivered by earlier calls (a batch that
/// meets the bad record first returns the good frames read so far and throws on the next call).
/// </para>
/// <para>Costs: one copy per frame (file to frame, frame to file); no allocation. One thread at a time.</para>
/// </remarks>
public sealed class PcapPort : PacketPort
{
    private readonly FixedFramePool _pool;
    private readonly long[] _timestamps;
    private readonly PcapReader? _replay;
    private readonly PcapWriter? _capture;
    private readonly TimeProvider _clock;
    private PcapFormatException? _pendingError;
    private bool _replayFinished;

    /// <summary>Creates a port over an open reader and/or writer; the port owns and disposes them.</summary>
    /// <param name="replay">The file to receive from, or <see langword="null"/> (receive returns 0).</param>
    /// <param name="capture">The file to transmit into, or <see langword="null"/> (transmit throws).</param>
    /// <param name="options">Sizes and clock; <see langword="null"/> for the defaults.</param>
    /// <param name="name">A name for diagnostics.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="EdgeOS.Core.Memory.MemoryQuotaExceededException">The account cannot take the frame memory.</exception>
    public PcapPort(PcapReader? replay, PcapWriter? capture, PcapPortOptions? options = null, string name = "pcap")
        : base(name, CheckFrameCount(options), CheckFrameSize(options))
    {
        options ??= new PcapPortOptions();
        _pool = new FixedFramePool(options.FrameCount, options.FrameSizeBytes, 0, options.Account);
        _timestamps = new long[options.FrameCount];
        _replay = replay;
        _capture = capture;
        _clock = options.TimeProvider ?? TimeProvider.System;
        _replayFinished = replay is null;
    }

    /// <summary>Whether the replay file has been read to its end (or there is none).</summary>
    public bool IsReplayFinished => _replayFinished;

    /// <summary>The replay reader (header fields: link type, snap length, resolution), or <see langword="null"/>.</summary>
    public PcapReader? Replay => _replay;

    /// <summary>The capture writer, or <see langword="null"/>.</summary>
    public PcapWriter? Capture => _capture;

    /// <summary>Opens <paramref name="path"/> for replay (receive only).</summary>
    /// <param name="path">A pcap file.</param>
    /// <param name="options">Sizes; <see langword="null"/> for the defaults.</param>
    /// <returns>The port; it owns the file.</returns>
    /// <exception cref="PcapFormatException">The file header is truncated or corrupt.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static PcapPort OpenReplay(string path, PcapPortOptions? options = null)
    {
        PcapReader reader = PcapReader.Open(path);
        try
        {
            return new PcapPort(reader, null, options, Path.GetFileName(path));
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Creates <paramref name="path"/> for capture (transmit only), header from <see cref="PcapPortOptions.Capture"/>.</summary>
    /// <param name="path">The file to create or truncate.</param>
    /// <param name="options">Sizes and header; <see langword="null"/> for the defaults.</param>
    /// <returns>The port; it owns the file.</returns>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public static PcapPort CreateCapture(string path, PcapPortOptions? options = null)
    {
        PcapWriter writer = PcapWriter.Create(path, options?.Capture);
        try
        {
            return new PcapPort(null, writer, options, Path.GetFileName(path));
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>The frame's timestamp in nanoseconds since the Unix epoch (0: none). O(1).</summary>
    /// <param name="frame">An owned frame.</param>
    /// <returns>The timestamp.</returns>
    /// <exception cref="FrameOwnershipException">The handle is not owned by the caller.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public long GetTimestampNanoseconds(Frame frame)
    {
        _ = GetBuffer(frame);
        return _timestamps[frame.Slot];
    }

    /// <summary>Sets the timestamp the frame is captured with (0: use the clock). O(1).</summary>
    /// <param name="frame">An owned frame.</param>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch, or 0.</param>
    /// <exception cref="FrameOwnershipException">The handle is not owned by the caller.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is negative.</exception>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    public void SetTimestampNanoseconds(Frame frame, long timestampNanoseconds)
    {
        _ = GetBuffer(frame);
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        _timestamps[frame.Slot] = timestampNanoseconds;
    }

    /// <summary>Flushes the capture file, if any.</summary>
    /// <exception cref="ObjectDisposedException">The port was disposed.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        _capture?.Flush();
    }

    private protected override int ReceiveCore(Span<Frame> frames)
    {
        if (_pendingError is not null)
        {
            throw _pendingError;
        }

        int count = 0;
        while (count < frames.Length && !_replayFinished && _pool.TryTake(out int slot))
        {
            bool read;
            PcapRecord record;
            try
            {
                read = _replay!.TryReadNext(_pool.Buffer(slot), out record);
            }
            catch (PcapFormatException error) when (count > 0)
            {
                // Deliver the good frames first; the error comes with the next call.
                _pool.Return(slot);
                _pendingError = error;
                return count;
            }
            catch
            {
                _pool.Return(slot);
                throw;
            }

            if (!read)
            {
                _pool.Return(slot);
                _replayFinished = true;
                break;
            }

            if (record.CopiedLength < record.CapturedLength)
            {
                _pool.Return(slot);
                CountReceiveDropped(1);
                continue;
            }

            _timestamps[slot] = record.TimestampNanoseconds;
            frames[count++] = Issue(slot, _pool.Address(slot), record.CapturedLength, _pool.CapacityBytes);
        }

        return count;
    }

    private protected override int AllocateCore(Span<Frame> frames)
    {
        int count = 0;
        while (count < frames.Length && _pool.TryTake(out int slot))
        {
            _timestamps[slot] = 0;
            frames[count++] = Issue(slot, _pool.Address(slot), 0, _pool.CapacityBytes);
        }

        return count;
    }

    private protected override unsafe int TransmitCore(ReadOnlySpan<Frame> frames)
    {
        if (_capture is null)
        {
            throw new NotSupportedException($"Pcap port '{Name}' has no capture file: it cannot transmit.");
        }

        long now = 0;
        foreach (Frame frame in frames)
        {
            long timestamp = _timestamps[frame.Slot];
            if (timestamp == 0)
            {
                if (now == 0)
                {
                    now = (_clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
                }

                timestamp = now;
            }

            _capture.Write(new ReadOnlySpan<byte>((void*)SlotAddress(frame.Slot), frame.Length), timestamp);
        }

        foreach (Frame frame in frames)
        {
            _pool.Return(frame.Slot);
        }

        return frames.Length;
    }

    private protected override void RecycleCore(int slot) => _pool.Return(slot);

    private protected override void DisposeCore()
    {
        try
        {
            _replay?.Dispose();
            _capture?.Dispose();
        }
        finally
        {
            _pool.Dispose();
        }
    }

    private static int CheckFrameCount(PcapPortOptions? options)
    {
        int count = options?.FrameCount ?? 64;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 65536, nameof(options));
        return count;
    }

    private static int CheckFrameSize(PcapPortOptions? options)
    {
        int size = options?.FrameSizeBytes ?? 2048;
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 64, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 262_144, nameof(options));
        return size;
    }
}
