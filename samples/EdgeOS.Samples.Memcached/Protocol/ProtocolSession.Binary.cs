using System.Buffers;
using System.Buffers.Binary;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

internal sealed partial class ProtocolSession
{
    private const byte BinaryMagicRequest = 0x80;
    private const byte BinaryMagicResponse = 0x81;
    private const int BinaryHeaderBytes = 24;

    private enum BinaryStatus : ushort
    {
        Ok = 0x00,
        KeyNotFound = 0x01,
        KeyExists = 0x02,
        TooLarge = 0x03,
        InvalidArguments = 0x04,
        NotStored = 0x05,
        NonNumeric = 0x06,
        UnknownCommand = 0x81,
        OutOfMemory = 0x82,
    }

    private bool _pendingBinary;
    private byte _binaryOpcode;
    private uint _binaryOpaque;
    private bool _binaryQuiet;

    // One binary request: the fixed header, extras and key must be buffered; values of storage commands stream.
    private SessionStatus ProcessBinary(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output, out bool progressed)
    {
        progressed = false;
        if (input.Length < BinaryHeaderBytes)
        {
            return SessionStatus.NeedMore;
        }

        Span<byte> header = stackalloc byte[BinaryHeaderBytes];
        input.Slice(0, BinaryHeaderBytes).CopyTo(header);
        if (header[0] != BinaryMagicRequest)
        {
            return SessionStatus.Close;
        }

        if (Verbose && !_binaryHeaderLogged)
        {
            _binaryHeaderLogged = true;
            VerboseLog.BinaryHeader(Descriptor, received: true, header);
        }

        byte opcode = header[1];
        int keyLength = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        int extrasLength = header[4];
        uint bodyLength = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        uint opaque = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        ulong cas = BinaryPrimitives.ReadUInt64BigEndian(header[16..]);
        _binaryOpaque = opaque;

        if (keyLength > StoreLayout.KeyBytesMax)
        {
            return BinaryProtocolError(opcode, output);
        }

        bool quiet = opcode is 0x09 or 0x0d or 0x11 or 0x12 or 0x13 or 0x14 or 0x15 or 0x16 or 0x17 or 0x18 or 0x19 or 0x1a or 0x1e;
        byte baseOp = opcode switch
        {
            0x11 => 0x01,
            0x12 => 0x02,
            0x13 => 0x03,
            0x14 => 0x04,
            0x15 => 0x05,
            0x16 => 0x06,
            0x17 => 0x07,
            0x18 => 0x08,
            0x19 => 0x0e,
            0x1a => 0x0f,
            0x1e => 0x1d,
            _ => opcode,
        };
        _binaryOpcode = opcode;
        _binaryQuiet = quiet;

        bool isStorage = baseOp is 0x01 or 0x02 or 0x03 or 0x0e or 0x0f;
        long needed = BinaryHeaderBytes + (isStorage ? extrasLength + keyLength : bodyLength);
        bool valid = baseOp switch
        {
            0x0b or 0x0a or 0x07 => extrasLength == 0 && keyLength == 0 && bodyLength == 0,
            0x08 => keyLength == 0 && bodyLength == extrasLength && extrasLength is 0 or 4,
            0x01 or 0x02 or 0x03 => extrasLength == 8 && keyLength != 0 && bodyLength >= keyLength + 8,
            0x00 or 0x09 or 0x0c or 0x0d => extrasLength == 0 && bodyLength == keyLength && keyLength > 0,
            0x04 => keyLength > 0 && extrasLength == 0 && bodyLength == keyLength,
            0x05 or 0x06 => keyLength > 0 && extrasLength == 20 && bodyLength == keyLength + 20,
            0x0e or 0x0f => keyLength > 0 && extrasLength == 0 && bodyLength >= keyLength,
            0x10 => extrasLength == 0 && bodyLength == keyLength,
            0x1c or 0x1d => extrasLength == 4 && keyLength != 0 && bodyLength == keyLength + 4,
            _ => true,
        };
        if (!valid)
        {
            return BinaryProtocolError(opcode, output);
        }

        bool known = baseOp is <= 0x10 or 0x1c or 0x1d;
        if (!known)
        {
            input = input.Slice(BinaryHeaderBytes);
            progressed = true;
            _swallowBytes = bodyLength;
            WriteBinaryError(output, BinaryStatus.UnknownCommand);
            return SessionStatus.NeedMore;
        }

        if (input.Length < needed)
        {
            return SessionStatus.NeedMore;
        }

        byte[] bodyBuffer = _lineBuffer.Length >= needed ? _lineBuffer : (_lineBuffer = new byte[Math.Max(needed, 512)]);
        input.Slice(0, needed).CopyTo(bodyBuffer);
        input = input.Slice(needed);
        progressed = true;
        ReadOnlySpan<byte> extras = bodyBuffer.AsSpan(BinaryHeaderBytes, extrasLength);
        ReadOnlySpan<byte> key = bodyBuffer.AsSpan(BinaryHeaderBytes + extrasLength, keyLength);
        ref StoreStats stats = ref _store.StatsW;

        switch (baseOp)
        {
            case 0x00:
            case 0x09:
            case 0x0c:
            case 0x0d:
            case 0x1c:
            case 0x1d:
            {
                bool touch = baseOp is 0x1c or 0x1d;
                if (Verbose)
                {
                    VerboseLog.Received(Descriptor, touch ? "TOUCH "u8 : "GET "u8, key);
                }

                uint it = touch
                    ? _store.Touch(key, _store.RealTime(BinaryPrimitives.ReadInt32BigEndian(extras)))
                    : _store.Get(key, _store.Hash(key), update: true);
                if (touch)
                {
                    stats.CmdTouch++;
                }
                else
                {
                    stats.CmdGet++;
                }

                bool withKey = opcode is 0x0c or 0x0d;
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

                    if (!quiet)
                    {
                        if (withKey)
                        {
                            WriteBinaryHeader(output, BinaryStatus.KeyNotFound, keyLength, 0, keyLength, 0);
                            output.Put(key);
                        }
                        else
                        {
                            WriteBinaryError(output, BinaryStatus.KeyNotFound);
                        }
                    }

                    break;
                }

                if (touch)
                {
                    stats.TouchHits++;
                }
                else
                {
                    stats.GetHits++;
                }

                ref readonly ItemHeader h = ref _store.Item(it);
                bool withValue = baseOp != 0x1c;
                int valueBytes = withValue ? (int)h.ValueBytes : 0;
                int keyOut = withKey ? keyLength : 0;
                WriteBinaryHeader(output, BinaryStatus.Ok, keyOut, 4, 4 + keyOut + valueBytes, h.Cas, casAfterDump: true);
                Span<byte> flags = output.GetSpan(4);
                BinaryPrimitives.WriteUInt32BigEndian(flags, h.ClientFlags);
                output.Advance(4);
                if (withKey)
                {
                    output.Put(key);
                }

                if (withValue)
                {
                    _store.CopyValueTo(it, output);
                }

                break;
            }

            case 0x01:
            case 0x02:
            case 0x03:
            case 0x0e:
            case 0x0f:
            {
                bool append = baseOp is 0x0e or 0x0f;
                uint flags = append ? 0 : BinaryPrimitives.ReadUInt32BigEndian(extras);
                uint exptime = append ? 0 : _store.RealTime(BinaryPrimitives.ReadInt32BigEndian(extras[4..]));
                int vlen = (int)(bodyLength - keyLength - extrasLength);
                StoreMode mode = baseOp switch
                {
                    0x01 => StoreMode.Set,
                    0x02 => StoreMode.Add,
                    0x03 => StoreMode.Replace,
                    0x0e => StoreMode.Append,
                    _ => StoreMode.Prepend,
                };
                if (!append && cas != 0)
                {
                    mode = StoreMode.Cas;
                }

                AllocStatus status = _store.Allocate(key, flags, exptime, vlen, out uint item);
                if (status != AllocStatus.Ok)
                {
                    if (status == AllocStatus.TooLarge)
                    {
                        stats.StoreTooLarge++;
                    }
                    else
                    {
                        stats.StoreNoMemory++;
                    }

                    WriteBinaryError(output, status == AllocStatus.TooLarge ? BinaryStatus.TooLarge : BinaryStatus.OutOfMemory);
                    _swallowBytes = vlen;
                    if (baseOp == 0x01)
                    {
                        uint old = _store.Get(key, _store.Hash(key), update: false);
                        if (old != 0)
                        {
                            _store.Unlink(old);
                        }
                    }

                    break;
                }

                _store.ItemW(item).Cas = cas;
                BeginValue(item, vlen, mode, meta: false, noreply: quiet, setStale: false);
                _pendingBinary = true;
                break;
            }

            case 0x04:
            {
                uint it = _store.Get(key, _store.Hash(key), update: false);
                if (it == 0)
                {
                    stats.DeleteMisses++;
                    WriteBinaryError(output, BinaryStatus.KeyNotFound);
                }
                else if (cas == 0 || cas == _store.Item(it).Cas)
                {
                    stats.DeleteHits++;
                    _store.ClassW(_store.Item(it).ClassId).DeleteHits++;
                    _store.Unlink(it);
                    if (!quiet)
                    {
                        WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, 0);
                    }
                }
                else
                {
                    WriteBinaryError(output, BinaryStatus.KeyExists);
                }

                break;
            }

            case 0x05:
            case 0x06:
            {
                bool incr = baseOp == 0x05;
                ulong delta = BinaryPrimitives.ReadUInt64BigEndian(extras);
                ulong initial = BinaryPrimitives.ReadUInt64BigEndian(extras[8..]);
                uint expiration = BinaryPrimitives.ReadUInt32BigEndian(extras[16..]);
                ulong itemCas = cas;
                switch (_store.AddDelta(key, incr, delta, ref itemCas, out ulong value, out _))
                {
                    case DeltaResult.Ok:
                        WriteBinaryCounter(output, value, itemCas, quiet);
                        break;
                    case DeltaResult.NonNumeric:
                        WriteBinaryError(output, BinaryStatus.NonNumeric);
                        break;
                    case DeltaResult.NoMemory:
                        WriteBinaryError(output, BinaryStatus.OutOfMemory);
                        break;
                    case DeltaResult.CasMismatch:
                        WriteBinaryError(output, BinaryStatus.KeyExists);
                        break;
                    default:
                        if (incr)
                        {
                            stats.IncrMisses++;
                        }
                        else
                        {
                            stats.DecrMisses++;
                        }

                        if (expiration == 0xffffffff)
                        {
                            WriteBinaryError(output, BinaryStatus.KeyNotFound);
                            break;
                        }

                        Span<byte> digits = stackalloc byte[20];
                        initial.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
                        if (_store.Allocate(key, 0, _store.RealTime((int)expiration), written, out uint fresh) != AllocStatus.Ok)
                        {
                            WriteBinaryError(output, BinaryStatus.OutOfMemory);
                            break;
                        }

                        _store.WriteValue(fresh, 0, digits[..written]);
                        if (_store.Store(fresh, StoreMode.Add, false, out ulong newCas) == StoreResult.Stored)
                        {
                            WriteBinaryCounter(output, initial, newCas, quiet);
                        }
                        else
                        {
                            WriteBinaryError(output, BinaryStatus.NotStored);
                        }

                        break;
                }

                break;
            }

            case 0x07:
                if (!quiet)
                {
                    WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, 0);
                }

                return SessionStatus.Close;
            case 0x08:
                stats.CmdFlush++;
                _store.FlushAll(extrasLength == 4 ? BinaryPrimitives.ReadInt32BigEndian(extras) : 0);
                if (!quiet)
                {
                    WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, 0);
                }

                break;
            case 0x0a:
                WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, 0);
                break;
            case 0x0b:
                WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, ServerContext.Version.Length, 0);
                output.PutAscii(ServerContext.Version);
                break;
            case 0x10:
                BinaryStats(key, output);
                break;
            default:
                break;
        }

        return SessionStatus.NeedMore;
    }

    private void CompleteBinaryValue(uint item, IBufferWriter<byte> output)
    {
        StoreMode mode = _pendingMode;
        StoreResult result = _store.Store(item, mode, false, out ulong cas);
        switch (result)
        {
            case StoreResult.Stored:
                if (!_pendingNoreply)
                {
                    WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, cas);
                }

                break;
            case StoreResult.Exists:
                WriteBinaryError(output, BinaryStatus.KeyExists);
                break;
            case StoreResult.NotFound:
                WriteBinaryError(output, BinaryStatus.KeyNotFound);
                break;
            default:
                WriteBinaryError(output, mode switch
                {
                    StoreMode.Add => BinaryStatus.KeyExists,
                    StoreMode.Replace => BinaryStatus.KeyNotFound,
                    _ => BinaryStatus.NotStored,
                });
                break;
        }
    }

    private void WriteBinaryCounter(IBufferWriter<byte> output, ulong value, ulong cas, bool quiet)
    {
        if (quiet)
        {
            return;
        }

        WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 8, cas);
        Span<byte> span = output.GetSpan(8);
        BinaryPrimitives.WriteUInt64BigEndian(span, value);
        output.Advance(8);
    }

    private SessionStatus BinaryProtocolError(byte opcode, IBufferWriter<byte> output)
    {
        _binaryOpcode = opcode;
        WriteBinaryError(output, BinaryStatus.InvalidArguments);
        return SessionStatus.Close;
    }

    private void WriteBinaryHeader(IBufferWriter<byte> output, BinaryStatus status, int keyLength, int extrasLength, int bodyLength, ulong cas, bool casAfterDump = false)
    {
        Span<byte> h = output.GetSpan(BinaryHeaderBytes);
        h[0] = BinaryMagicResponse;
        h[1] = _binaryOpcode;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)keyLength);
        h[4] = (byte)extrasLength;
        h[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)status);
        BinaryPrimitives.WriteUInt32BigEndian(h[8..], (uint)bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], _binaryOpaque);
        BinaryPrimitives.WriteUInt64BigEndian(h[16..], cas);
        if (Verbose)
        {
            // memcached dumps a get's response header before it fills in the item's CAS, so its log shows 0 there.
            Span<byte> dumped = stackalloc byte[BinaryHeaderBytes];
            h[..BinaryHeaderBytes].CopyTo(dumped);
            if (casAfterDump)
            {
                dumped[16..].Clear();
            }

            VerboseLog.BinaryHeader(Descriptor, received: false, dumped);
        }

        output.Advance(BinaryHeaderBytes);
    }

    private void WriteBinaryError(IBufferWriter<byte> output, BinaryStatus status)
    {
        ReadOnlySpan<byte> text = status switch
        {
            BinaryStatus.KeyNotFound => "Not found"u8,
            BinaryStatus.KeyExists => "Data exists for key."u8,
            BinaryStatus.TooLarge => "Too large."u8,
            BinaryStatus.InvalidArguments => "Invalid arguments"u8,
            BinaryStatus.NotStored => "Not stored."u8,
            BinaryStatus.NonNumeric => "Non-numeric server-side value for incr or decr"u8,
            BinaryStatus.OutOfMemory => "Out of memory"u8,
            _ => "Unknown command"u8,
        };
        WriteBinaryHeader(output, status, 0, 0, text.Length, 0);
        output.Put(text);
    }

    // Binary "stat": one packet per statistic (key = name, value = value), then an empty packet.
    private void BinaryStats(ReadOnlySpan<byte> group, IBufferWriter<byte> output)
    {
        ArrayBufferWriter<byte> text = new(); // stats are rare: allocation accepted here
        if (!WriteStatsGroup(group, text))
        {
            WriteBinaryError(output, BinaryStatus.KeyNotFound);
            return;
        }

        ReadOnlySpan<byte> all = text.WrittenSpan;
        while (!all.IsEmpty)
        {
            int end = all.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = all[..end];
            all = all[(end + 2)..];
            if (!line.StartsWith("STAT "u8))
            {
                continue;
            }

            line = line[5..];
            int space = line.IndexOf((byte)' ');
            ReadOnlySpan<byte> name = line[..space];
            ReadOnlySpan<byte> value = line[(space + 1)..];
            WriteBinaryHeader(output, BinaryStatus.Ok, name.Length, 0, name.Length + value.Length, 0);
            output.Put(name);
            output.Put(value);
        }

        WriteBinaryHeader(output, BinaryStatus.Ok, 0, 0, 0, 0);
    }
}
