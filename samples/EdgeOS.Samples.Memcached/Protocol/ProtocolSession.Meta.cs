using System.Buffers;
using System.Buffers.Text;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

internal sealed partial class ProtocolSession
{
    private const int MetaTokensMax = 20;     // memcached's MFLAG_MAX_OPT_LENGTH (compared with ntokens)
    private const int OpaqueBytesMax = 32;

    /// <summary>The flags of one meta command, as memcached's _meta_flag_preparse reads them.</summary>
    private struct MetaFlags
    {
        public bool NoUpdate;
        public bool Locked;
        public bool Vivify;
        public bool Value;
        public bool SetStale;
        public bool NoReply;
        public bool HasCas;
        public bool NewTtl;
        public bool KeyBinary;
        public byte Mode;
        public uint ExpTime;
        public uint AutovivExpTime;
        public uint RecacheTime;
        public uint ClientFlags;
        public ulong ReqCas;
        public ulong Delta;
        public ulong Initial;
    }

    // Decoded base64 key (meta 'b' flag); memcached decodes in place, we decode here.
    private readonly byte[] _binaryKey = new byte[StoreLayout.KeyBytesMax];

    // Returns null on success, else the error line. Sets key to the decoded key when 'b' is present.
    private ReadOnlySpan<byte> PreparseMeta(ReadOnlySpan<byte> line, in Tokenizer t, int start, ref MetaFlags f, ref ReadOnlySpan<byte> key, out bool failed)
    {
        failed = false;
        ReadOnlySpan<byte> error = "CLIENT_ERROR bad command line format"u8;
        Span<bool> seen = stackalloc bool[127];
        bool hasError = false;
        for (int i = start; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            byte o = tok[0];
            if (o >= 127 || seen[o])
            {
                failed = true;
                return "CLIENT_ERROR duplicate flag"u8;
            }

            seen[o] = true;
            ReadOnlySpan<byte> arg = tok[1..];
            switch (o)
            {
                case (byte)'b':
                    if (Base64.DecodeFromUtf8(key, _binaryKey, out _, out int written) != OperationStatus.Done || written == 0)
                    {
                        error = "CLIENT_ERROR error decoding key"u8;
                        hasError = true;
                        key = default;
                    }
                    else
                    {
                        key = _binaryKey.AsSpan(0, written);
                    }

                    f.KeyBinary = true;
                    break;
                case (byte)'N':
                    f.Locked = true;
                    f.Vivify = true;
                    if (!NumberParser.TryParseI32(arg, out int nv))
                    {
                        error = "CLIENT_ERROR bad token in command line format"u8;
                        hasError = true;
                    }
                    else
                    {
                        f.AutovivExpTime = _store.RealTime(nv);
                    }

                    break;
                case (byte)'T':
                    f.Locked = true;
                    if (!NumberParser.TryParseI32(arg, out int tv))
                    {
                        error = "CLIENT_ERROR bad token in command line format"u8;
                        hasError = true;
                    }
                    else
                    {
                        f.ExpTime = _store.RealTime(tv);
                        f.NewTtl = true;
                    }

                    break;
                case (byte)'R':
                    f.Locked = true;
                    if (!NumberParser.TryParseI32(arg, out int rv))
                    {
                        error = "CLIENT_ERROR bad token in command line format"u8;
                        hasError = true;
                    }
                    else
                    {
                        f.RecacheTime = _store.RealTime(rv);
                    }

                    break;
                case (byte)'l':
                case (byte)'h':
                    f.Locked = true;
                    break;
                case (byte)'O':
                case (byte)'P':
                case (byte)'L':
                case (byte)'k':
                case (byte)'s':
                case (byte)'t':
                case (byte)'c':
                case (byte)'f':
                    break;
                case (byte)'v':
                    f.Value = true;
                    break;
                case (byte)'u':
                    f.NoUpdate = true;
                    break;
                case (byte)'q':
                    f.NoReply = true;
                    break;
                case (byte)'F':
                    if (!NumberParser.TryParseU32(arg, out f.ClientFlags))
                    {
                        hasError = true;
                    }

                    break;
                case (byte)'C':
                    if (!NumberParser.TryParseU64(arg, out f.ReqCas))
                    {
                        error = "CLIENT_ERROR bad token in command line format"u8;
                        hasError = true;
                    }
                    else
                    {
                        f.HasCas = true;
                    }

                    break;
                case (byte)'M':
                    if (tok.Length != 2)
                    {
                        error = "CLIENT_ERROR incorrect length for M token"u8;
                        hasError = true;
                    }
                    else
                    {
                        f.Mode = tok[1];
                    }

                    break;
                case (byte)'J':
                    if (!NumberParser.TryParseU64(arg, out f.Initial))
                    {
                        error = "CLIENT_ERROR invalid numeric initial value"u8;
                        hasError = true;
                    }

                    break;
                case (byte)'D':
                    if (!NumberParser.TryParseU64(arg, out f.Delta))
                    {
                        error = "CLIENT_ERROR invalid numeric delta value"u8;
                        hasError = true;
                    }

                    break;
                case (byte)'I':
                    f.SetStale = true;
                    break;
                default:
                    failed = true;
                    return "CLIENT_ERROR invalid flag"u8;
            }
        }

        failed = hasError;
        return hasError ? error : default;
    }

    private void PutMetaKey(IBufferWriter<byte> output, ReadOnlySpan<byte> key, bool binary)
    {
        output.Put(" k"u8);
        if (!binary)
        {
            output.Put(key);
            return;
        }

        int length = Base64.GetMaxEncodedToUtf8Length(key.Length);
        Span<byte> span = output.GetSpan(length);
        Base64.EncodeToUtf8(key, span, out _, out int written);
        output.Advance(written);
        output.Put(" b"u8);
    }

    // The head mg, md and ma share (ms checks its value length in between): a key within KeyMax and at most
    // MetaTokensMax tokens. memcached answers mg's errors even under q and words its flag-count error per command,
    // so the caller says which.
    private bool TryMetaKey(ReadOnlySpan<byte> line, in Tokenizer t, IBufferWriter<byte> output, bool alwaysAnswer, ReadOnlySpan<byte> flagsTooLong, out ReadOnlySpan<byte> key)
    {
        key = default;
        if (!WantMin(t.Count, 3, output))
        {
            return false;
        }

        key = Tok(line, t, 1);
        ReadOnlySpan<byte> error = key.Length > KeyMax ? "CLIENT_ERROR bad command line format"u8
            : t.Count > MetaTokensMax ? flagsTooLong
            : default;
        if (error.IsEmpty)
        {
            return true;
        }

        if (alwaysAnswer)
        {
            OutError(output, error);
        }
        else
        {
            OutString(output, error);
        }

        return false;
    }

    // ---- mg -----------------------------------------------------------------------------------------------------------

    private void MetaGet(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        if (!TryMetaKey(line, t, output, alwaysAnswer: true, "CLIENT_ERROR options flags are too long"u8, out ReadOnlySpan<byte> key))
        {
            return;
        }

        MetaFlags f = default;
        ReadOnlySpan<byte> error = PreparseMeta(line, t, 2, ref f, ref key, out bool failed);
        if (failed)
        {
            OutError(output, error);
            return;
        }

        _noreply = f.NoReply;
        int badOpaque = FindLongOpaque(line, t);

        ref StoreStats stats = ref _store.StatsW;
        uint hash = _store.Hash(key);
        uint it = _store.Get(key, hash, update: false);
        bool created = false;
        if (it == 0 && f.Vivify)
        {
            if (_store.Allocate(key, 0, 0, 0, out it) == AllocStatus.Ok)
            {
                if (f.KeyBinary)
                {
                    _store.ItemW(it).Flags |= ItemFlags.KeyBinary;
                }

                _store.Link(it, hash);
                created = true;
            }
            else
            {
                it = 0;
            }
        }

        if (badOpaque >= 0)
        {
            // memcached finds the long opaque while building the response: what the flags before it did stays done.
            if (it != 0)
            {
                ApplyTtlFlags(line, t, badOpaque, it, f, created);
            }

            OutError(output, "CLIENT_ERROR opaque token too long"u8);
            return;
        }

        if (it == 0)
        {
            stats.GetMisses++;
            stats.CmdGet++;
            if (_noreply)
            {
                _noreply = false;
                return;
            }

            output.Put("EN"u8);
            WriteOpaqueAndKey(line, t, key, f.KeyBinary, output);
            output.PutCrlf();
            return;
        }

        ref ItemHeader h = ref _store.ItemW(it);
        bool won = false;
        bool ttlSet = false;
        if (f.Value)
        {
            output.Put("VA "u8);
            output.PutNumber((ulong)h.ValueBytes);
        }
        else
        {
            output.Put("HD"u8);
        }

        uint now = _store.CurrentTime;
        for (int i = 2; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            switch (tok[0])
            {
                case (byte)'T':
                    ttlSet = true;
                    h.ExpTime = f.ExpTime;
                    break;
                case (byte)'N':
                    if (created)
                    {
                        h.ExpTime = f.AutovivExpTime;
                        won = true;
                    }

                    break;
                case (byte)'R':
                    if ((h.Flags & ItemFlags.TokenSent) == 0 && !created && h.ExpTime != 0 && h.ExpTime < f.RecacheTime)
                    {
                        won = true;
                    }

                    break;
                case (byte)'s':
                    output.Put(" s"u8);
                    output.PutNumber((ulong)h.ValueBytes);
                    break;
                case (byte)'t':
                    output.Put(" t"u8);
                    if (h.ExpTime == 0)
                    {
                        output.Put("-1"u8);
                    }
                    else
                    {
                        output.PutNumber((ulong)(uint)(h.ExpTime - now));
                    }

                    break;
                case (byte)'c':
                    output.Put(" c"u8);
                    output.PutNumber(h.Cas);
                    break;
                case (byte)'f':
                    output.Put(" f"u8);
                    output.PutNumber((ulong)h.ClientFlags);
                    break;
                case (byte)'l':
                    output.Put(" l"u8);
                    output.PutNumber((ulong)(uint)(now - h.Time));
                    break;
                case (byte)'h':
                    output.Put((h.Flags & ItemFlags.Fetched) != 0 ? " h1"u8 : " h0"u8);
                    break;
                case (byte)'O':
                    output.PutByte((byte)' ');
                    output.Put(tok);
                    break;
                case (byte)'k':
                    PutMetaKey(output, _store.Key(it), (h.Flags & ItemFlags.KeyBinary) != 0);
                    break;
                default:
                    break;
            }
        }

        if ((h.Flags & ItemFlags.TokenSent) != 0)
        {
            output.Put(" Z"u8);
        }

        if ((h.Flags & ItemFlags.Stale) != 0)
        {
            output.Put(" X"u8);
            if ((h.Flags & ItemFlags.TokenSent) == 0)
            {
                won = true;
            }
        }

        if (won)
        {
            output.Put(" W"u8);
            h.Flags |= ItemFlags.TokenSent;
        }

        output.PutCrlf();
        if (f.Value)
        {
            if (_store.TryGetValueSpan(it, out ReadOnlySpan<byte> value))
            {
                output.Put(value);
            }
            else
            {
                _store.CopyValueTo(it, output);
            }

            output.PutCrlf();
        }

        if (!f.NoUpdate)
        {
            _store.Bump(it);
        }

        if (ttlSet)
        {
            stats.CmdTouch++;
            stats.TouchHits++;
        }
        else
        {
            stats.CmdGet++;
            stats.GetHits++;
            _store.ClassW(h.ClassId).GetHits++;
        }

        _noreply = false;
    }

    private static int FindLongOpaque(ReadOnlySpan<byte> line, in Tokenizer t)
    {
        for (int i = 2; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            if (tok[0] == 'O' && tok.Length > OpaqueBytesMax)
            {
                return i;
            }
        }

        return -1;
    }

    // The item changes the T and N flags make, for the flags before token index end.
    private void ApplyTtlFlags(ReadOnlySpan<byte> line, in Tokenizer t, int end, uint it, in MetaFlags f, bool created)
    {
        ref ItemHeader h = ref _store.ItemW(it);
        for (int i = 2; i < end; i++)
        {
            byte c = Tok(line, t, i)[0];
            if (c == 'T')
            {
                h.ExpTime = f.ExpTime;
            }
            else if (c == 'N' && created)
            {
                h.ExpTime = f.AutovivExpTime;
            }
        }
    }

    // ---- ms -----------------------------------------------------------------------------------------------------------

    private void MetaSet(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        if (!WantMin(t.Count, 3, output))
        {
            return;
        }

        ReadOnlySpan<byte> key = Tok(line, t, 1);
        if (key.Length > KeyMax || t.Count == 3)
        {
            OutError(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (t.Count > MetaTokensMax)
        {
            OutError(output, "CLIENT_ERROR options flags too long"u8);
            return;
        }

        if (!NumberParser.TryParseI32(Tok(line, t, 2), out int vlen) || vlen < 0 || vlen > int.MaxValue - 2)
        {
            OutError(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        MetaFlags f = default;
        ReadOnlySpan<byte> error = PreparseMeta(line, t, 3, ref f, ref key, out bool failed);
        if (failed)
        {
            MetaSetError(error, vlen, output);
            return;
        }

        _noreply = f.NoReply;
        _metaStashLength = 0;
        bool hasError = false;
        for (int i = 3; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            switch (tok[0])
            {
                case (byte)'O':
                    if (tok.Length > OpaqueBytesMax)
                    {
                        error = "CLIENT_ERROR opaque token too long"u8;
                        hasError = true;
                        break;
                    }

                    Stash(tok);
                    break;
                case (byte)'k':
                    Stash("k"u8);
                    break;
                case (byte)'c':
                    Stash("c"u8);
                    break;
                default:
                    break;
            }
        }

        StoreMode mode;
        switch (f.Mode)
        {
            case 0:
            case (byte)'S':
                mode = StoreMode.Set;
                break;
            case (byte)'E':
                mode = StoreMode.Add;
                break;
            case (byte)'A':
                mode = StoreMode.Append;
                break;
            case (byte)'P':
                mode = StoreMode.Prepend;
                break;
            case (byte)'R':
                mode = StoreMode.Replace;
                break;
            default:
                MetaSetError("CLIENT_ERROR invalid mode for ms M token"u8, vlen, output);
                return;
        }

        if (f.HasCas && mode is StoreMode.Set or StoreMode.Replace)
        {
            mode = StoreMode.Cas;
        }

        if (hasError)
        {
            MetaSetError(error, vlen, output);
            return;
        }

        AllocStatus status = _store.Allocate(key, f.ClientFlags, f.ExpTime, vlen, out uint item);
        if (status != AllocStatus.Ok)
        {
            RefuseStore(key, status, deleteExisting: true, vlen, output, meta: true);
            return;
        }

        ref ItemHeader h = ref _store.ItemW(item);
        h.Cas = f.ReqCas;
        key.CopyTo(_pendingKey);
        _pendingKeyLength = key.Length;
        _pendingKeyBinary = f.KeyBinary;
        if (f.KeyBinary)
        {
            h.Flags |= ItemFlags.KeyBinary;
        }

        BeginValue(item, vlen, mode, meta: true, _noreply, setStale: f.SetStale && mode == StoreMode.Cas);
        _noreply = false;
    }

    private void MetaSetError(ReadOnlySpan<byte> error, int vlen, IBufferWriter<byte> output)
    {
        _swallowBytes = vlen + 2L;
        OutError(output, error);
    }

    private void Stash(ReadOnlySpan<byte> token)
    {
        int need = _metaStashLength + token.Length + 1;
        if (need > _metaStash.Length)
        {
            Array.Resize(ref _metaStash, Math.Max(need, _metaStash.Length * 2));
        }

        token.CopyTo(_metaStash.AsSpan(_metaStashLength));
        _metaStash[_metaStashLength + token.Length] = (byte)' ';
        _metaStashLength = need;
    }

    private void FinishMetaSet(StoreResult result, ulong cas, IBufferWriter<byte> output)
    {
        if (result == StoreResult.Stored && _noreply)
        {
            _noreply = false;
            return;
        }

        _noreply = false;
        output.Put(result switch
        {
            StoreResult.Stored => "HD"u8,
            StoreResult.Exists => "EX"u8,
            StoreResult.NotFound => "NF"u8,
            _ => "NS"u8,
        });

        // The key is the stored item's only while it is linked; a refused item was freed, so the key is taken from
        // the stash, which keeps a copy of the request's key for exactly this case.
        ReadOnlySpan<byte> stash = _metaStash.AsSpan(0, _metaStashLength);
        while (!stash.IsEmpty)
        {
            int end = stash.IndexOf((byte)' ');
            ReadOnlySpan<byte> tok = stash[..end];
            stash = stash[(end + 1)..];
            switch (tok[0])
            {
                case (byte)'O':
                    output.PutByte((byte)' ');
                    output.Put(tok);
                    break;
                case (byte)'k':
                    PutMetaKey(output, _pendingKey.AsSpan(0, _pendingKeyLength), _pendingKeyBinary);
                    break;
                case (byte)'c':
                    output.Put(" c"u8);
                    output.PutNumber(cas);
                    break;
                default:
                    break;
            }
        }

        output.PutCrlf();
    }

    private readonly byte[] _pendingKey = new byte[StoreLayout.KeyBytesMax];
    private int _pendingKeyLength;
    private bool _pendingKeyBinary;

    // ---- md -----------------------------------------------------------------------------------------------------------

    private void MetaDelete(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        if (!TryMetaKey(line, t, output, alwaysAnswer: false, "CLIENT_ERROR options flags too long"u8, out ReadOnlySpan<byte> key))
        {
            return;
        }

        MetaFlags f = default;
        PreparseMeta(line, t, 2, ref f, ref key, out bool failed);
        if (failed)
        {
            OutError(output, "CLIENT_ERROR invalid or duplicate flag"u8);
            return;
        }

        _noreply = f.NoReply;
        for (int i = 2; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            if (tok[0] == 'O' && tok.Length > OpaqueBytesMax)
            {
                OutError(output, "CLIENT_ERROR opaque token too long"u8);
                return;
            }
        }

        ref StoreStats stats = ref _store.StatsW;
        uint it = _store.Get(key, _store.Hash(key), update: false);
        ReadOnlySpan<byte> code;
        bool skip = false;
        if (it != 0)
        {
            ref ItemHeader h = ref _store.ItemW(it);
            if (f.HasCas && h.Cas != f.ReqCas)
            {
                stats.DeleteMisses++;
                code = "EX"u8;
            }
            else if (f.SetStale)
            {
                if (f.NewTtl)
                {
                    h.ExpTime = f.ExpTime;
                }

                h.Flags = (h.Flags | ItemFlags.Stale) & ~ItemFlags.TokenSent;
                h.Cas = _store.NextCas();
                skip = _noreply;
                code = "HD"u8;
            }
            else
            {
                _store.ClassW(h.ClassId).DeleteHits++;
                stats.DeleteHits++;
                _store.Unlink(it);
                skip = _noreply;
                code = "HD"u8;
            }
        }
        else
        {
            stats.DeleteMisses++;
            code = "NF"u8;
        }

        _noreply = false;
        if (skip)
        {
            return;
        }

        output.Put(code);
        WriteOpaqueAndKey(line, t, key, f.KeyBinary, output);
        output.PutCrlf();
    }

    private void WriteOpaqueAndKey(ReadOnlySpan<byte> line, in Tokenizer t, ReadOnlySpan<byte> key, bool binary, IBufferWriter<byte> output)
    {
        for (int i = 2; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            if (tok[0] == 'O')
            {
                output.PutByte((byte)' ');
                output.Put(tok);
            }
            else if (tok[0] == 'k')
            {
                PutMetaKey(output, key, binary);
            }
        }
    }

    // ---- ma -----------------------------------------------------------------------------------------------------------

    private void MetaArithmetic(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        if (!TryMetaKey(line, t, output, alwaysAnswer: false, "CLIENT_ERROR options flags too long"u8, out ReadOnlySpan<byte> key))
        {
            return;
        }

        MetaFlags f = default;
        f.Delta = 1;
        PreparseMeta(line, t, 2, ref f, ref key, out bool failed);
        if (failed)
        {
            OutError(output, "CLIENT_ERROR invalid or duplicate flag"u8);
            return;
        }

        _noreply = f.NoReply;
        bool incr;
        switch (f.Mode)
        {
            case 0:
            case (byte)'I':
            case (byte)'+':
                incr = true;
                break;
            case (byte)'D':
            case (byte)'-':
                incr = false;
                break;
            default:
                OutError(output, "CLIENT_ERROR invalid mode for ma M token"u8);
                return;
        }

        int badOpaque = FindLongOpaque(line, t);
        ref StoreStats stats = ref _store.StatsW;
        ulong cas = f.ReqCas;
        uint it = 0;
        bool created = false;
        bool skip = false;
        ulong value = 0;
        ReadOnlySpan<byte> code = default;
        switch (_store.AddDelta(key, incr, f.Delta, ref cas, out value, out it))
        {
            case DeltaResult.Ok:
                skip = _noreply;
                break;
            case DeltaResult.NonNumeric:
                OutError(output, "CLIENT_ERROR cannot increment or decrement non-numeric value"u8);
                return;
            case DeltaResult.NoMemory:
                OutError(output, "SERVER_ERROR out of memory"u8);
                return;
            case DeltaResult.NotFound:
                if (f.Vivify)
                {
                    Span<byte> digits = stackalloc byte[20];
                    f.Initial.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
                    if (_store.Allocate(key, 0, 0, written, out it) != AllocStatus.Ok)
                    {
                        OutError(output, "SERVER_ERROR Out of memory allocating new item"u8);
                        return;
                    }

                    _store.WriteValue(it, 0, digits[..written]);
                    _store.Store(it, StoreMode.Add, false, out _);
                    value = f.Initial;
                    created = true;
                }
                else
                {
                    if (incr)
                    {
                        stats.IncrMisses++;
                    }
                    else
                    {
                        stats.DecrMisses++;
                    }

                    code = "NF"u8;
                }

                break;
            default:
                code = "EX"u8;
                break;
        }

        _noreply = false;
        if (badOpaque >= 0)
        {
            if (it != 0)
            {
                ApplyTtlFlags(line, t, badOpaque, it, f, created);
            }

            OutError(output, "CLIENT_ERROR opaque token too long"u8);
            return;
        }

        if (skip)
        {
            return;
        }

        if (it == 0)
        {
            output.Put(code);
            WriteOpaqueAndKey(line, t, key, f.KeyBinary, output);
            output.PutCrlf();
            return;
        }

        Span<byte> text = stackalloc byte[20];
        value.TryFormat(text, out int length, default, System.Globalization.CultureInfo.InvariantCulture);
        ref ItemHeader h = ref _store.ItemW(it);
        if (f.Value)
        {
            output.Put("VA "u8);
            output.PutNumber((ulong)length);
        }
        else
        {
            output.Put("HD"u8);
        }

        uint now = _store.CurrentTime;
        for (int i = 2; i < t.Count - 1; i++)
        {
            ReadOnlySpan<byte> tok = Tok(line, t, i);
            switch (tok[0])
            {
                case (byte)'c':
                    output.Put(" c"u8);
                    output.PutNumber(h.Cas);
                    break;
                case (byte)'t':
                    output.Put(" t"u8);
                    if (h.ExpTime == 0)
                    {
                        output.Put("-1"u8);
                    }
                    else
                    {
                        output.PutNumber((ulong)(uint)(h.ExpTime - now));
                    }

                    break;
                case (byte)'T':
                    h.ExpTime = f.ExpTime;
                    break;
                case (byte)'N':
                    if (created)
                    {
                        h.ExpTime = f.AutovivExpTime;
                    }

                    break;
                case (byte)'O':
                    output.PutByte((byte)' ');
                    output.Put(tok);
                    break;
                case (byte)'k':
                    PutMetaKey(output, key, f.KeyBinary);
                    break;
                default:
                    break;
            }
        }

        if (f.Value)
        {
            output.PutCrlf();
            output.Put(text[..length]);
        }

        output.PutCrlf();
    }

    // ---- me -----------------------------------------------------------------------------------------------------------

    private void MetaDebug(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> key = t.Count >= 3 ? Tok(line, t, 1) : default;
        if (t.Count < 3 || key.Length > KeyMax)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (t.Count >= 4 && Tok(line, t, 2).SequenceEqual("b"u8))
        {
            if (Base64.DecodeFromUtf8(key, _binaryKey, out _, out int written) != OperationStatus.Done || written == 0)
            {
                OutString(output, "CLIENT_ERROR bad command line format"u8);
                return;
            }

            key = _binaryKey.AsSpan(0, written);
        }

        _store.StatsW.MetaCmds++;
        uint it = _store.Get(key, _store.Hash(key), update: false);
        if (it == 0)
        {
            OutString(output, "EN"u8);
            return;
        }

        ref readonly ItemHeader h = ref _store.Item(it);
        uint now = _store.CurrentTime;
        output.Put("ME "u8);
        if ((h.Flags & ItemFlags.KeyBinary) != 0)
        {
            Span<byte> span = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(h.KeyBytes));
            Base64.EncodeToUtf8(_store.Key(it), span, out _, out int written);
            output.Advance(written);
        }
        else
        {
            output.Put(_store.Key(it));
        }

        output.Put(" exp="u8);
        output.PutNumber(h.ExpTime == 0 ? -1 : (long)h.ExpTime - now);
        output.Put(" la="u8);
        output.PutNumber((ulong)(now - h.Time));
        output.Put(" cas="u8);
        output.PutNumber(h.Cas);
        output.Put((h.Flags & ItemFlags.Fetched) != 0 ? " fetch=yes"u8 : " fetch=no"u8);
        output.Put(" cls="u8);
        output.PutNumber((ulong)h.ClassId);
        output.Put(" size="u8);
        output.PutNumber(_store.MemcachedTotalBytes(it));
        output.PutCrlf();
    }
}
