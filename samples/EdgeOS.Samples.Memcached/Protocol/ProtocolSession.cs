using System.Buffers;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

/// <summary>What the transport should do after <see cref="ProtocolSession.Process"/>.</summary>
internal enum SessionStatus
{
    /// <summary>Flush the output and read more input.</summary>
    NeedMore,

    /// <summary>Flush the output, then close the connection.</summary>
    Close,
}

/// <summary>
/// One connection's protocol state: parses requests straight from the transport's buffers, runs them against the
/// tenant's store and appends the responses, in order, to the transport's writer. Text and meta commands share a
/// connection; a connection whose first byte is 0x80 speaks the binary protocol instead (as memcached decides).
/// </summary>
/// <remarks>
/// Not thread-safe: it runs only inside the tenant's FWP handler, one message at a time (or on a test's thread). The only state
/// between calls is a partly received value (written straight into an allocated, unlinked item) or a count of
/// bytes to discard, so many requests in one read (pipelining) and one request over many reads both work.
/// </remarks>
internal sealed partial class ProtocolSession
{
    /// <summary>memcached gives up on a line with no newline after this many bytes (unless it is a get).</summary>
    public const int LineNoNewlineMax = 2048;

    /// <summary>Our bound for multi-get lines (memcached grows its buffer without bound).</summary>
    public const int GetLineBytesMax = 1 << 20;

    /// <summary>Our bound for any other line, beyond which the connection is closed (memcached's read buffer).</summary>
    public const int LineBytesMax = 16384;

    private readonly ServerContext _context;
    private readonly ItemStore _store;
    private byte[] _lineBuffer = new byte[256];
    private bool _noreply;
    private int _protocol; // 0 undecided, 1 text, 2 binary

    // A value being received for a text or meta storage command.
    private uint _pendingItem;
    private int _pendingValueBytes;
    private int _pendingReceived;
    private StoreMode _pendingMode;
    private bool _pendingMeta;
    private bool _pendingNoreply;
    private bool _pendingSetStale;
    private byte _trailer0;
    private byte[] _metaStash = new byte[128];
    private int _metaStashLength;

    // Bytes to discard after a refused storage command (memcached's conn_swallow).
    private long _swallowBytes;

    public ProtocolSession(ServerContext context)
    {
        _context = context;
        _store = context.Store;
    }

    /// <summary>
    /// For UDP: where each response object starts in <see cref="BoundaryWriter"/>. memcached sends every response
    /// object (one per command, and one per key of a multi-get) as a message of its own datagrams.
    /// </summary>
    internal List<int>? Boundaries { get; set; }

    internal ArrayBufferWriter<byte>? BoundaryWriter { get; set; }

    private void MarkBoundary() => Boundaries?.Add(BoundaryWriter!.WrittenCount);

    /// <summary>The connection's number in memcached's verbose output (its socket's file descriptor).</summary>
    public int Descriptor { get; init; }

    // memcached's verbose output (-vv) is on for this tenant.
    private bool Verbose => _context.Verbosity > 1;

    // A binary request's header is dumped once even when its body takes several reads.
    private bool _binaryHeaderLogged;

    /// <summary>Whether the session is in the middle of receiving a value.</summary>
    public bool HasPendingValue => _pendingItem != 0;

    /// <summary>
    /// Handles every complete request at the start of <paramref name="input"/> and slices them off. Incomplete
    /// requests stay in <paramref name="input"/> (or, for a value, are taken into the session).
    /// </summary>
    public SessionStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        while (true)
        {
            if (_swallowBytes > 0)
            {
                long take = Math.Min(_swallowBytes, input.Length);
                input = input.Slice(take);
                _swallowBytes -= take;
                if (_swallowBytes > 0)
                {
                    return SessionStatus.NeedMore;
                }
            }

            if (_pendingItem != 0)
            {
                if (!ReceiveValue(ref input, output))
                {
                    return SessionStatus.NeedMore;
                }

                continue;
            }

            if (input.IsEmpty)
            {
                return SessionStatus.NeedMore;
            }

            if (_protocol == 0)
            {
                _protocol = input.FirstSpan[0] == BinaryMagicRequest ? 2 : 1;
                if (Verbose && Boundaries is null)
                {
                    VerboseLog.Negotiated(Descriptor, _protocol == 2);
                }
            }

            SessionStatus status;
            bool progressed;
            if (_protocol == 2)
            {
                status = ProcessBinary(ref input, output, out progressed);
                _binaryHeaderLogged &= !progressed;
            }
            else
            {
                status = ProcessTextLine(ref input, output, out progressed);
            }

            if (status == SessionStatus.Close || !progressed)
            {
                return status;
            }
        }
    }

    /// <summary>Gives back a partly received value: the connection ended mid-value.</summary>
    public void Abort()
    {
        if (_pendingItem != 0)
        {
            _store.FreeUnlinked(_pendingItem);
            _pendingItem = 0;
        }

        _swallowBytes = 0;
    }

    /// <summary>
    /// Drops a partly received value without touching the store: the store it was allocated in is gone (the tenant's
    /// FWP was restarted from its template after a fault), so the handle means nothing any more.
    /// </summary>
    public void Forget()
    {
        _pendingItem = 0;
        _swallowBytes = 0;
    }

    /// <summary>Forgets everything (a UDP datagram is a request of its own).</summary>
    public void Reset()
    {
        Abort();
        _noreply = false;
        _protocol = 0;
    }

    // ---- text framing -------------------------------------------------------------------------------------------

    private SessionStatus ProcessTextLine(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output, out bool progressed)
    {
        progressed = false;
        ReadOnlySpan<byte> first = input.FirstSpan;
        int newline = first.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line;
        long consumed;
        if (newline >= 0)
        {
            line = first[..newline];
            consumed = newline + 1;
        }
        else
        {
            SequencePosition? pos = input.IsSingleSegment ? null : input.PositionOf((byte)'\n');
            if (pos is null)
            {
                if (input.Length > LineNoNewlineMax && !LooksLikeGet(input))
                {
                    return SessionStatus.Close;
                }

                return input.Length > GetLineBytesMax ? SessionStatus.Close : SessionStatus.NeedMore;
            }

            ReadOnlySequence<byte> lineSeq = input.Slice(0, pos.Value);
            if (lineSeq.Length > GetLineBytesMax)
            {
                return SessionStatus.Close;
            }

            int length = (int)lineSeq.Length;
            if (_lineBuffer.Length < length)
            {
                _lineBuffer = new byte[Math.Max(length, _lineBuffer.Length * 2)];
            }

            lineSeq.CopyTo(_lineBuffer);
            line = _lineBuffer.AsSpan(0, length);
            consumed = length + 1;
        }

        if (line.Length > LineBytesMax && !LooksLikeGet(line))
        {
            return SessionStatus.Close;
        }

        if (line.Length > 0 && line[^1] == '\r')
        {
            line = line[..^1];
        }

        // memcached treats the line as a C string: a NUL ends it.
        int nul = line.IndexOf((byte)0);
        if (nul >= 0)
        {
            line = line[..nul];
        }

        input = input.Slice(consumed);
        progressed = true;
        _noreply = false;
        MarkBoundary();
        if (Verbose)
        {
            VerboseLog.Received(Descriptor, line);
        }

        return ProcessCommand(line, output);
    }

    private static bool LooksLikeGet(ReadOnlySequence<byte> input)
    {
        Span<byte> head = stackalloc byte[128];
        int n = (int)Math.Min(head.Length, input.Length);
        input.Slice(0, n).CopyTo(head);
        return LooksLikeGet(head[..n]);
    }

    private static bool LooksLikeGet(ReadOnlySpan<byte> line)
    {
        int i = 0;
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }

        if (i > 100)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = line[i..];
        return rest.StartsWith("get "u8) || rest.StartsWith("gets "u8);
    }

    // ---- value reception ------------------------------------------------------------------------------------------

    private void BeginValue(uint item, int valueBytes, StoreMode mode, bool meta, bool noreply, bool setStale)
    {
        _pendingItem = item;
        _pendingValueBytes = valueBytes;
        _pendingReceived = 0;
        _pendingMode = mode;
        _pendingMeta = meta;
        _pendingNoreply = noreply;
        _pendingSetStale = setStale;
        _pendingBinary = false;
    }

    // Copies what has arrived into the item; true when the value and its two trailing bytes are complete.
    private bool ReceiveValue(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        int total = _pendingValueBytes + (_pendingBinary ? 0 : 2);
        while (_pendingReceived < total && !input.IsEmpty)
        {
            ReadOnlySpan<byte> span = input.FirstSpan;
            int take = Math.Min(span.Length, total - _pendingReceived);
            int valuePart = Math.Max(0, Math.Min(take, _pendingValueBytes - _pendingReceived));
            if (valuePart > 0)
            {
                _store.WriteValue(_pendingItem, _pendingReceived, span[..valuePart]);
            }

            for (int i = valuePart; i < take; i++)
            {
                int trailerIndex = _pendingReceived + i - _pendingValueBytes;
                if (trailerIndex == 0)
                {
                    _trailer0 = span[i];
                }
                else
                {
                    _trailer1 = span[i];
                }
            }

            _pendingReceived += take;
            input = input.Slice(take);
        }

        if (_pendingReceived < total)
        {
            return false;
        }

        uint item = _pendingItem;
        _pendingItem = 0;
        if (_pendingBinary)
        {
            CompleteBinaryValue(item, output);
            return true;
        }

        CompleteValue(item, _trailer0 == '\r' && _trailer1 == '\n', output);
        return true;
    }

    private byte _trailer1;

    private void CompleteValue(uint item, bool valid, IBufferWriter<byte> output)
    {
        _noreply = _pendingNoreply;
        if (!valid)
        {
            _store.FreeUnlinked(item);
            if (_pendingMeta)
            {
                _noreply = false;
            }

            OutString(output, "CLIENT_ERROR bad data chunk"u8);
            return;
        }

        StoreResult result = _store.Store(item, _pendingMode, _pendingSetStale, out ulong cas);
        if (_pendingMeta)
        {
            FinishMetaSet(result, cas, output);
            return;
        }

        OutString(output, result switch
        {
            StoreResult.Stored => "STORED"u8,
            StoreResult.Exists => "EXISTS"u8,
            StoreResult.NotFound => "NOT_FOUND"u8,
            _ => "NOT_STORED"u8,
        });
    }

    // memcached's out_string: one line, or nothing under noreply (which it then clears).
    private void OutString(IBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        if (_noreply)
        {
            _noreply = false;
            if (Verbose)
            {
                VerboseLog.Sent(Descriptor, "NOREPLY "u8, text);
            }

            return;
        }

        if (Verbose)
        {
            VerboseLog.Sent(Descriptor, default, text);
        }

        output.Put(text);
        output.PutCrlf();
    }

    // memcached's out_errstring: errors are always sent.
    private void OutError(IBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        _noreply = false;
        OutString(output, text);
    }
}
