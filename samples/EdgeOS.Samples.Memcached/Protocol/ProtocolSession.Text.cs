using System.Buffers;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

internal sealed partial class ProtocolSession
{
    private const int KeyMax = StoreLayout.KeyBytesMax;

    // memcached's process_command_ascii: dispatch on the first token, with its token-count rules.
    private SessionStatus ProcessCommand(ReadOnlySpan<byte> line, IBufferWriter<byte> output)
    {
        Tokenizer t = Tokenizer.Split(line);
        int n = t.Count;
        if (n < 2 || t.Tokens[0].Length < 2)
        {
            OutString(output, "ERROR"u8);
            return SessionStatus.NeedMore;
        }

        ReadOnlySpan<byte> cmd = Tok(line, t, 0);
        if (cmd.Length == 2 && cmd[0] == 'm')
        {
            switch (cmd[1])
            {
                case (byte)'g':
                    MetaGet(line, ref t, output);
                    break;
                case (byte)'s':
                    MetaSet(line, ref t, output);
                    break;
                case (byte)'d':
                    MetaDelete(line, ref t, output);
                    break;
                case (byte)'a':
                    MetaArithmetic(line, ref t, output);
                    break;
                case (byte)'n':
                    OutString(output, "MN"u8);
                    break;
                case (byte)'e':
                    MetaDebug(line, ref t, output);
                    break;
                default:
                    OutString(output, "ERROR"u8);
                    break;
            }

            return SessionStatus.NeedMore;
        }

        switch (cmd)
        {
            case var _ when cmd.SequenceEqual("get"u8) || cmd.SequenceEqual("bget"u8):
                return WantMin(n, 3, output) ? Get(line, ref t, returnCas: false, touch: false, output) : SessionStatus.NeedMore;
            case var _ when cmd.SequenceEqual("gets"u8):
                return WantMin(n, 3, output) ? Get(line, ref t, returnCas: true, touch: false, output) : SessionStatus.NeedMore;
            case var _ when cmd.SequenceEqual("gat"u8):
                return WantMin(n, 3, output) ? Get(line, ref t, returnCas: false, touch: true, output) : SessionStatus.NeedMore;
            case var _ when cmd.SequenceEqual("gats"u8):
                return WantMin(n, 3, output) ? Get(line, ref t, returnCas: true, touch: true, output) : SessionStatus.NeedMore;
            case var _ when cmd.SequenceEqual("set"u8):
                Update(line, ref t, StoreMode.Set, output);
                break;
            case var _ when cmd.SequenceEqual("add"u8):
                Update(line, ref t, StoreMode.Add, output);
                break;
            case var _ when cmd.SequenceEqual("replace"u8):
                Update(line, ref t, StoreMode.Replace, output);
                break;
            case var _ when cmd.SequenceEqual("append"u8):
                Update(line, ref t, StoreMode.Append, output);
                break;
            case var _ when cmd.SequenceEqual("prepend"u8):
                Update(line, ref t, StoreMode.Prepend, output);
                break;
            case var _ when cmd.SequenceEqual("cas"u8):
                Update(line, ref t, StoreMode.Cas, output);
                break;
            case var _ when cmd.SequenceEqual("incr"u8):
                if (WantOr(n, 4, 5, output))
                {
                    Arithmetic(line, ref t, incr: true, output);
                }

                break;
            case var _ when cmd.SequenceEqual("decr"u8):
                if (WantOr(n, 4, 5, output))
                {
                    Arithmetic(line, ref t, incr: false, output);
                }

                break;
            case var _ when cmd.SequenceEqual("delete"u8):
                if (n is >= 3 and <= 5)
                {
                    Delete(line, ref t, output);
                }
                else
                {
                    OutString(output, "ERROR"u8);
                }

                break;
            case var _ when cmd.SequenceEqual("touch"u8):
                if (WantOr(n, 4, 5, output))
                {
                    Touch(line, ref t, output);
                }

                break;
            case var _ when cmd.SequenceEqual("stats"u8):
                Stats(line, ref t, output);
                break;
            case var _ when cmd.SequenceEqual("flush_all"u8):
                if (n is >= 2 and <= 4)
                {
                    FlushAll(line, ref t, output);
                }
                else
                {
                    OutString(output, "ERROR"u8);
                }

                break;
            case var _ when cmd.SequenceEqual("version"u8):
                if (Verbose)
                {
                    VerboseLog.Sent(Descriptor, "VERSION "u8, System.Text.Encoding.ASCII.GetBytes(ServerContext.Version));
                }

                output.Put("VERSION "u8);
                output.PutAscii(ServerContext.Version);
                output.PutCrlf();
                break;
            case var _ when cmd.SequenceEqual("quit"u8):
                return SessionStatus.Close;
            case var _ when cmd.SequenceEqual("verbosity"u8):
                if (WantOr(n, 3, 4, output))
                {
                    SetNoreplyMaybe(line, ref t);
                    if (!NumberParser.TryParseU32(Tok(line, t, 1), out uint level))
                    {
                        OutString(output, "CLIENT_ERROR bad command line format"u8);
                    }
                    else
                    {
                        _context.Verbosity = (int)Math.Min(level, 2);
                        OutString(output, "OK"u8);
                    }
                }

                break;
            case var _ when cmd.SequenceEqual("shutdown"u8):
                OutString(output, "ERROR: shutdown not enabled"u8);
                break;
            case var _ when cmd.SequenceEqual("cache_memlimit"u8):
                if (WantOr(n, 3, 4, output))
                {
                    SetNoreplyMaybe(line, ref t);
                    OutString(output, NumberParser.TryParseU32(Tok(line, t, 1), out uint mb) ? mb < 8 ? "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m"u8 : "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust"u8 : "ERROR"u8);
                }

                break;
            default:
                OutString(output, "ERROR"u8);
                break;
        }

        return SessionStatus.NeedMore;
    }

    private static ReadOnlySpan<byte> Tok(ReadOnlySpan<byte> line, in Tokenizer t, int index)
    {
        Token token = t.Tokens[index];
        return line.Slice(token.Start, token.Length);
    }

    private bool WantMin(int n, int min, IBufferWriter<byte> output)
    {
        if (n < min)
        {
            OutString(output, "ERROR"u8);
            return false;
        }

        return true;
    }

    private bool WantOr(int n, int a, int b, IBufferWriter<byte> output)
    {
        if (n != a && n != b)
        {
            OutString(output, "ERROR"u8);
            return false;
        }

        return true;
    }

    // memcached's set_noreply_maybe: "noreply" as the last real token.
    private bool SetNoreplyMaybe(ReadOnlySpan<byte> line, ref Tokenizer t)
    {
        if (Tok(line, t, t.Count - 2).SequenceEqual("noreply"u8))
        {
            _noreply = true;
        }

        return _noreply;
    }

    // ---- retrieval --------------------------------------------------------------------------------------------------

    private SessionStatus Get(ReadOnlySpan<byte> line, ref Tokenizer t, bool returnCas, bool touch, IBufferWriter<byte> output)
    {
        uint exptime = 0;
        int keyStart = t.Tokens[1].Start;
        if (touch)
        {
            if (!NumberParser.TryParseI32(Tok(line, t, 1), out int e))
            {
                OutString(output, "CLIENT_ERROR invalid exptime argument"u8);
                return SessionStatus.NeedMore;
            }

            exptime = _store.RealTime(e);
            keyStart = t.Tokens[2].Start;
        }

        // The keys run to the end of the line (memcached re-tokenizes past 24 tokens). At a key that is too long,
        // memcached stops and drops the responses it prepared, sending only the error; the keys before it were
        // still looked up (and touched). So find that key first and run the ones before it without output.
        ReadOnlySpan<byte> keys = line[Math.Min(keyStart, line.Length)..];
        int firstLong = 0;
        bool tooLong = false;
        for (ReadOnlySpan<byte> rest = keys; NextKey(ref rest, out ReadOnlySpan<byte> key); firstLong++)
        {
            if (key.Length > KeyMax)
            {
                tooLong = true;
                break;
            }
        }

        ref StoreStats stats = ref _store.StatsW;
        int index = 0;
        for (ReadOnlySpan<byte> rest = keys; NextKey(ref rest, out ReadOnlySpan<byte> key); index++)
        {
            if (tooLong && index == firstLong)
            {
                break;
            }

            if (index > 0)
            {
                MarkBoundary();
            }

            uint it = touch ? _store.Touch(key, exptime) : _store.Get(key, _store.Hash(key), update: true);
            if (touch)
            {
                stats.CmdTouch++;
            }
            else
            {
                stats.CmdGet++;
            }

            if (it == 0)
            {
                if (touch)
                {
                    stats.TouchMisses++;
                }
                else
                {
                    stats.GetMisses++;
                }

                continue;
            }

            if (touch)
            {
                stats.TouchHits++;
                _store.ClassW(_store.Item(it).ClassId).TouchHits++;
            }
            else
            {
                stats.GetHits++;
                _store.ClassW(_store.Item(it).ClassId).GetHits++;
            }

            if (!tooLong)
            {
                if (Verbose)
                {
                    VerboseLog.Sent(Descriptor, "sending key "u8, key);
                }

                WriteValueLine(it, returnCas, output);
            }
        }

        if (tooLong)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return SessionStatus.NeedMore;
        }

        if (Verbose)
        {
            VerboseLog.Sent(Descriptor, default, "END"u8);
        }

        output.Put("END\r\n"u8);
        return SessionStatus.NeedMore;
    }

    private static bool NextKey(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> key)
    {
        int i = 0;
        while (i < rest.Length && rest[i] == ' ')
        {
            i++;
        }

        rest = rest[i..];
        if (rest.IsEmpty)
        {
            key = default;
            return false;
        }

        int end = rest.IndexOf((byte)' ');
        if (end < 0)
        {
            end = rest.Length;
        }

        key = rest[..end];
        rest = rest[end..];
        return true;
    }

    private void WriteValueLine(uint it, bool returnCas, IBufferWriter<byte> output)
    {
        ref readonly ItemHeader h = ref _store.Item(it);
        output.Put("VALUE "u8);
        output.Put(_store.Key(it));
        output.PutByte((byte)' ');
        output.PutNumber((ulong)h.ClientFlags);
        output.PutByte((byte)' ');
        output.PutNumber((ulong)h.ValueBytes);
        if (returnCas)
        {
            output.PutByte((byte)' ');
            output.PutNumber(h.Cas);
        }

        output.PutCrlf();
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

    // ---- storage ------------------------------------------------------------------------------------------------------

    private void Update(ReadOnlySpan<byte> line, ref Tokenizer t, StoreMode mode, IBufferWriter<byte> output)
    {
        int n = t.Count;
        bool handleCas = mode == StoreMode.Cas;
        if (handleCas ? n is not (7 or 8) : n is not (6 or 7))
        {
            OutString(output, "ERROR"u8);
            return;
        }

        SetNoreplyMaybe(line, ref t);
        ReadOnlySpan<byte> key = Tok(line, t, 1);
        if (key.Length > KeyMax)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (!(NumberParser.TryParseU32(Tok(line, t, 2), out uint flags)
              && NumberParser.TryParseI32(Tok(line, t, 3), out int exptimeArg)
              && NumberParser.TryParseI32(Tok(line, t, 4), out int vlen)))
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        uint exptime = _store.RealTime(exptimeArg);
        ulong reqCas = 0;
        if (handleCas && !NumberParser.TryParseU64(Tok(line, t, 5), out reqCas))
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (vlen < 0 || vlen > int.MaxValue - 2)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        AllocStatus status = _store.Allocate(key, flags, exptime, vlen, out uint item);
        if (status != AllocStatus.Ok)
        {
            RefuseStore(key, status, deleteExisting: mode == StoreMode.Set, vlen, output, meta: false);
            return;
        }

        _store.ItemW(item).Cas = reqCas;
        BeginValue(item, vlen, mode, meta: false, _noreply, setStale: false);
        _noreply = false;
    }

    private void RefuseStore(ReadOnlySpan<byte> key, AllocStatus status, bool deleteExisting, long vlen, IBufferWriter<byte> output, bool meta)
    {
        ref StoreStats stats = ref _store.StatsW;
        ReadOnlySpan<byte> error;
        if (status == AllocStatus.TooLarge)
        {
            stats.StoreTooLarge++;
            error = "SERVER_ERROR object too large for cache"u8;
        }
        else
        {
            stats.StoreNoMemory++;
            error = "SERVER_ERROR out of memory storing object"u8;
        }

        if (meta)
        {
            OutError(output, error);
        }
        else
        {
            OutString(output, error);
        }

        _swallowBytes = vlen + 2;

        // Stale data must not survive a failed set.
        if (deleteExisting)
        {
            uint old = _store.Get(key, _store.Hash(key), update: false);
            if (old != 0)
            {
                _store.Unlink(old);
            }
        }
    }

    // ---- other commands -----------------------------------------------------------------------------------------------

    private void Touch(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        SetNoreplyMaybe(line, ref t);
        ReadOnlySpan<byte> key = Tok(line, t, 1);
        if (key.Length > KeyMax)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (!NumberParser.TryParseI32(Tok(line, t, 2), out int e))
        {
            OutString(output, "CLIENT_ERROR invalid exptime argument"u8);
            return;
        }

        uint it = _store.Touch(key, _store.RealTime(e));
        ref StoreStats stats = ref _store.StatsW;
        stats.CmdTouch++;
        if (it != 0)
        {
            stats.TouchHits++;
            _store.ClassW(_store.Item(it).ClassId).TouchHits++;
            OutString(output, "TOUCHED"u8);
        }
        else
        {
            stats.TouchMisses++;
            OutString(output, "NOT_FOUND"u8);
        }
    }

    private void Arithmetic(ReadOnlySpan<byte> line, ref Tokenizer t, bool incr, IBufferWriter<byte> output)
    {
        SetNoreplyMaybe(line, ref t);
        ReadOnlySpan<byte> key = Tok(line, t, 1);
        if (key.Length > KeyMax)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (!NumberParser.TryParseU64(Tok(line, t, 2), out ulong delta))
        {
            OutString(output, "CLIENT_ERROR invalid numeric delta argument"u8);
            return;
        }

        ulong cas = 0;
        switch (_store.AddDelta(key, incr, delta, ref cas, out ulong value, out _))
        {
            case DeltaResult.Ok:
                Span<byte> digits = stackalloc byte[20];
                value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
                OutString(output, digits[..written]);
                break;
            case DeltaResult.NonNumeric:
                OutString(output, "CLIENT_ERROR cannot increment or decrement non-numeric value"u8);
                break;
            case DeltaResult.NoMemory:
                OutString(output, "SERVER_ERROR out of memory"u8);
                break;
            default:
                if (incr)
                {
                    _store.StatsW.IncrMisses++;
                }
                else
                {
                    _store.StatsW.DecrMisses++;
                }

                OutString(output, "NOT_FOUND"u8);
                break;
        }
    }

    private void Delete(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        int n = t.Count;
        if (n > 3)
        {
            bool holdIsZero = Tok(line, t, 2).SequenceEqual("0"u8);
            bool setsNoreply = SetNoreplyMaybe(line, ref t);
            bool valid = (n == 4 && (holdIsZero || setsNoreply)) || (n == 5 && holdIsZero && setsNoreply);
            if (!valid)
            {
                OutString(output, "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"u8);
                return;
            }
        }

        ReadOnlySpan<byte> key = Tok(line, t, 1);
        if (key.Length > KeyMax)
        {
            OutString(output, "CLIENT_ERROR bad command line format"u8);
            return;
        }

        if (_store.Delete(key))
        {
            _store.StatsW.DeleteHits++;
            OutString(output, "DELETED"u8);
        }
        else
        {
            _store.StatsW.DeleteMisses++;
            OutString(output, "NOT_FOUND"u8);
        }
    }

    private void FlushAll(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        SetNoreplyMaybe(line, ref t);
        _store.StatsW.CmdFlush++;
        int exptime = 0;
        if (t.Count != (_noreply ? 3 : 2) && !NumberParser.TryParseI32(Tok(line, t, 1), out exptime))
        {
            OutString(output, "CLIENT_ERROR invalid exptime argument"u8);
            return;
        }

        _store.FlushAll(exptime);
        OutString(output, "OK"u8);
    }
}
