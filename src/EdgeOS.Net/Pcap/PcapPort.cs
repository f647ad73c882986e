using System.Globalization;
using System.Runtime.CompilerServices;
using EdgeOS.Core.Memory;
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
/// Two kinds of replay. A streaming replay (<see cref="OpenReplay"/>, or a <see cref="PcapReader"/> given to the
/// constructor) reads the file as frames are received, once: records longer than a frame are dropped (counted in
/// <see cref="PacketPortStatistics.ReceiveDroppedFrames"/>); a truncated or corrupt file throws
/// <see cref="PcapFormatException"/> from <see cref="PacketPort.Receive"/> with the byte offset, after the frames of
/// the good records before it were delivered by earlier calls (a batch that meets the bad record first returns the
/// good frames read so far and throws on the next call).
/// </para>
/// <para>
/// A loaded replay (<see cref="LoadReplay(string, PcapPortOptions?)"/>) reads and checks the whole file at load, like
/// tcpreplay with its file preloaded into memory, and runs through it <see cref="PcapPortOptions.ReplayLoops"/> times
/// (or endlessly): a bad file fails at load with the offset and nothing is replayed; a record longer than a frame is
/// left out and counted as dropped once per pass, at the end of the pass. Receiving a frame is one copy from the
/// file image into a free frame (as a NIC's DMA into a receive buffer) and a table read: no parsing, no allocation.
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
    private readonly PcapReplayImage? _image;
    private readonly long _replayLoops;
    private readonly MemoryAccount? _account;
    private PcapFormatException? _pendingError;
    private bool _replayFinished;
    private int _nextRecord;
    private long _passesCompleted;

    /// <summary>Creates a port over an open reader and/or writer; the port owns and disposes them.</summary>
    /// <param name="replay">The file to receive from, or <see langword="null"/> (receive returns 0).</param>
    /// <param name="capture">The file to transmit into, or <see langword="null"/> (transmit throws).</param>
    /// <param name="options">Sizes and clock; <see langword="null"/> for the defaults.</param>
    /// <param name="name">A name for diagnostics.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException"><see cref="PcapPortOptions.ReplayLoops"/> is not 1: only a loaded replay
    /// (<see cref="LoadReplay(string, PcapPortOptions?)"/>) loops.</exception>
    /// <exception cref="EdgeOS.Core.Memory.MemoryQuotaExceededException">The account cannot take the frame memory.</exception>
    public PcapPort(PcapReader? replay, PcapWriter? capture, PcapPortOptions? options = null, string name = "pcap")
        : this(replay, capture, null, options, name)
    {
    }

    private PcapPort(PcapReader? replay, PcapWriter? capture, PcapReplayImage? image, PcapPortOptions? options, string name)
        : base(name, CheckFrameCount(options), CheckFrameSize(options))
    {
        options ??= new PcapPortOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.ReplayLoops, nameof(options));
        if (image is null && options.ReplayLoops != 1)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"PcapPortOptions.ReplayLoops is {options.ReplayLoops}: a streaming replay (PcapReader, OpenReplay) or a capture runs once; load the file with PcapPort.LoadReplay to loop it."),
                nameof(options));
        }

        if (image is not null && options.Account is not null)
        {
            // The file image is charged with the frames.
            options.Account.Charge(image.Data.Length);
            _account = options.Account;
        }

        try
        {
            _pool = new FixedFramePool(options.FrameCount, options.FrameSizeBytes, 0, options.Account);
        }
        catch
        {
            _account?.Release(image!.Data.Length);
            throw;
        }

        _image = image;
        _replayLoops = options.ReplayLoops;
        _timestamps = new long[options.FrameCount];
        _replay = replay;
        _capture = capture;
        _clock = options.TimeProvider ?? TimeProvider.System;
        _replayFinished = replay is null;
    }

    /// <summary>The most bytes a loaded replay's file may have (1 GiB); a larger file is refused at load.</summary>
    public const int LoadedReplayBytesMax = 1 << 30;

    /// <summary>Whether the replay has delivered its last record (that of the last pass of a loaded replay; never for
    /// an endless one unless its file has no record that fits in a frame), or there is no replay.</summary>
    public bool IsReplayFinished => _replayFinished;

    /// <summary>Whether the replay was loaded into memory (<see cref="LoadReplay(string, PcapPortOptions?)"/>) rather
    /// than streamed.</summary>
    public bool IsReplayLoaded => _image is not null;

    /// <summary>Complete passes through the replay file so far (a streaming replay: 0, then 1 at its end).</summary>
    public long ReplayPassesCompleted => _passesCompleted;

    /// <summary>Records of a loaded replay delivered per pass (those that fit in a frame); 0 for a streaming replay.</summary>
    public int LoadedRecordCount => _image?.Records.Length ?? 0;

    /// <summary>The replay reader (header fields: link type, snap length, resolution), or <see langword="null"/>. For a
    /// loaded replay, the reader that checked the file at load (it is at the file's end).</summary>
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

    /// <summary>
    /// Reads the pcap file at <paramref name="path"/> into memory and checks every record, for a replay that runs
    /// <see cref="PcapPortOptions.ReplayLoops"/> times through it (receive only). Cost at load: one read of the file
    /// and a 16-byte table entry per record; per received frame: one copy, no allocation.
    /// </summary>
    /// <param name="path">A pcap file of at most <see cref="LoadedReplayBytesMax"/> bytes.</param>
    /// <param name="options">Sizes, loops and account (charged for the frames and the file's bytes); <see langword="null"/>
    /// for the defaults (one pass).</param>
    /// <returns>The port; the file is closed.</returns>
    /// <exception cref="PcapFormatException">The file is truncated or corrupt (the offset of the bad field or record).</exception>
    /// <exception cref="ArgumentException">The file is larger than <see cref="LoadedReplayBytesMax"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or <see cref="PcapPortOptions.ReplayLoops"/> is negative.</exception>
    /// <exception cref="EdgeOS.Core.Memory.MemoryQuotaExceededException">The account cannot take the frames and the file.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static PcapPort LoadReplay(string path, PcapPortOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return LoadReplay(stream, options, Path.GetFileName(path));
    }

    /// <summary>
    /// Reads a pcap file from <paramref name="stream"/> (from its position to its end) into memory and checks every
    /// record, for a replay that runs <see cref="PcapPortOptions.ReplayLoops"/> times through it (receive only). The
    /// stream stays open (the caller's).
    /// </summary>
    /// <param name="stream">A readable stream holding at most <see cref="LoadedReplayBytesMax"/> bytes; seeking is not needed.</param>
    /// <param name="options">Sizes, loops and account (charged for the frames and the file's bytes); <see langword="null"/>
    /// for the defaults (one pass).</param>
    /// <param name="name">A name for diagnostics.</param>
    /// <returns>The port.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="PcapFormatException">The file is truncated or corrupt (the offset of the bad field or record).</exception>
    /// <exception cref="ArgumentException">The stream is not readable, or holds more than <see cref="LoadedReplayBytesMax"/> bytes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or <see cref="PcapPortOptions.ReplayLoops"/> is negative.</exception>
    /// <exception cref="EdgeOS.Core.Memory.MemoryQuotaExceededException">The account cannot take the frames and the file.</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public static PcapPort LoadReplay(Stream stream, PcapPortOptions? options = null, string name = "pcap")
    {
        ArgumentNullException.ThrowIfNull(name);
        int capacity = CheckFrameSize(options);
        _ = CheckFrameCount(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options?.ReplayLoops ?? 1, nameof(options));
        PcapReplayImage image = PcapReplayImage.Load(stream, capacity, nameof(stream));
        return new PcapPort(image.Header, null, image, options, name);
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
        if (_image is not null)
        {
            return ReceiveLoaded(frames);
        }

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
                _passesCompleted = 1;
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

    // The loaded replay's receive: per frame a table read, one copy and the issue; the free slots are taken per run.
    private unsafe int ReceiveLoaded(Span<Frame> frames)
    {
        PcapReplayRecord[] records = _image!.Records;
        long[] timestamps = _timestamps;
        FixedFramePool pool = _pool;
        int capacity = pool.CapacityBytes;
        byte* frameBase = pool.BaseAddress + pool.HeadroomBytes;
        nint stride = pool.FrameSizeBytes;
        int count = 0;
        fixed (byte* data = _image.Data)
        {
            while (count < frames.Length && !_replayFinished)
            {
                int next = _nextRecord;
                int n = Math.Min(Math.Min(frames.Length - count, records.Length - next), pool.FreeCount);
                if (n == 0 && next < records.Length)
                {
                    break; // no free frame
                }

                ReadOnlySpan<PcapReplayRecord> run = records.AsSpan(next, n);
                ReadOnlySpan<int> slots = pool.TakeTop(n);
                Span<Frame> issued = frames.Slice(count, n);
                for (int i = 0; i < slots.Length; i++)
                {
                    PcapReplayRecord record = run[i];
                    int slot = slots[i];
                    byte* address = frameBase + ((nint)slot * stride);
                    byte* source = data + record.DataOffset;

                    // Frames hold at least 64 bytes and the image has 64 bytes of padding after its end, so a short
                    // record is one fixed 64-byte block copy (the bytes past its length are not part of the frame).
                    if (record.Length <= PcapReplayImage.TailPaddingBytes)
                    {
                        Unsafe.CopyBlockUnaligned(address, source, PcapReplayImage.TailPaddingBytes);
                    }
                    else
                    {
                        Unsafe.CopyBlockUnaligned(address, source, (uint)record.Length);
                    }

                    timestamps[slot] = record.TimestampNanoseconds;
                    issued[i] = Issue(slot, (nint)address, record.Length, capacity);
                }

                count += n;
                _nextRecord = next + n;
                if (_nextRecord == records.Length)
                {
                    EndPass();
                }
            }
        }

        return count;
    }

    // The pass reached the end of the file: count its oversize records, then start again or finish.
    private void EndPass()
    {
        PcapReplayImage image = _image!;
        if (image.OversizeRecords > 0)
        {
            CountReceiveDropped(image.OversizeRecords);
        }

        _passesCompleted++;
        _nextRecord = 0;

        // A file with no deliverable record ends after one pass, however many were asked for.
        if ((_replayLoops != 0 && _passesCompleted >= _replayLoops) || image.Records.Length == 0)
        {
            _replayFinished = true;
        }
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
            _account?.Release(_image!.Data.Length);
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
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 64, nameof(options)); // the loaded replay copies 64-byte blocks
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 262_144, nameof(options));
        return size;
    }
}
