namespace EdgeOS.Samples.Memcached.Storage;

/// <summary>What a storage command does (memcached's NREAD_* modes).</summary>
internal enum StoreMode
{
    Set,
    Add,
    Replace,
    Append,
    Prepend,
    Cas,
}

/// <summary>The outcome of a storage command.</summary>
internal enum StoreResult
{
    Stored,
    NotStored,
    Exists,
    NotFound,
}

/// <summary>The outcome of incr/decr.</summary>
internal enum DeltaResult
{
    Ok,
    NonNumeric,
    NoMemory,
    NotFound,
    CasMismatch,
}

internal sealed partial class ItemStore
{
    /// <summary>
    /// memcached's do_store_item. <paramref name="item"/> is an allocated, unlinked item whose <c>Cas</c> field holds
    /// the CAS the client asked to compare (0 for none); the store takes ownership of it (links it or frees it).
    /// </summary>
    /// <param name="item">The item to store.</param>
    /// <param name="mode">set, add, replace, append, prepend or cas.</param>
    /// <param name="setStale">ms with I: a CAS lower than the item's is accepted and the result marked stale.</param>
    /// <param name="cas">The CAS of the stored item, 0 when nothing was stored.</param>
    public StoreResult Store(uint item, StoreMode mode, bool setStale, out ulong cas)
    {
        cas = 0;
        ReadOnlySpan<byte> key = Key(item);
        uint hash = Hash(key);
        ref StoreStats stats = ref StatsW;
        stats.CmdSet++;
        ClassW(Item(item).ClassId).CmdSet++;

        uint old = Get(key, hash, update: false);
        StoreResult result = StoreResult.NotStored;
        uint toLink = 0;
        if (old != 0)
        {
            ulong itCas = Item(item).Cas;
            ulong oldCas = Item(old).Cas;
            bool none = itCas == 0;
            bool match = !none && itCas == oldCas;
            bool stale = !none && !match && setStale && itCas < oldCas;
            switch (mode)
            {
                case StoreMode.Add:
                    TouchLru(old);
                    break;
                case StoreMode.Cas:
                    if (match || stale)
                    {
                        ClassW(Item(old).ClassId).CasHits++;
                        stats.CasHits++;
                        if (stale)
                        {
                            ref ItemHeader it = ref ItemW(item);
                            it.ExpTime = Item(old).ExpTime;
                            it.Flags |= ItemFlags.Stale | (Item(old).Flags & ItemFlags.TokenSent);
                        }

                        toLink = item;
                    }
                    else
                    {
                        ClassW(Item(old).ClassId).CasBadval++;
                        stats.CasBadval++;
                        result = StoreResult.Exists;
                    }

                    break;
                case StoreMode.Append:
                case StoreMode.Prepend:
                    if (!none && !match)
                    {
                        result = StoreResult.Exists;
                        break;
                    }

                    toLink = Concatenate(old, item, mode == StoreMode.Prepend);
                    break;
                default:
                    toLink = item;
                    break;
            }

            if (toLink != 0)
            {
                Replace(old, toLink, hash);
                result = StoreResult.Stored;
            }
        }
        else
        {
            switch (mode)
            {
                case StoreMode.Add:
                case StoreMode.Set:
                    toLink = item;
                    Link(item, hash);
                    result = StoreResult.Stored;
                    break;
                case StoreMode.Cas:
                    stats.CasMisses++;
                    result = StoreResult.NotFound;
                    break;
                default:
                    break;
            }
        }

        if (toLink != item)
        {
            FreeUnlinked(item);
        }

        if (result == StoreResult.Stored)
        {
            cas = Item(toLink).Cas;
        }

        return result;
    }

    // Builds old+new (or new+old) in a fresh item with the old item's flags and expiry; 0 when memory ran out.
    private uint Concatenate(uint old, uint added, bool prepend)
    {
        ref readonly ItemHeader o = ref Item(old);
        uint oldBytes = o.ValueBytes;
        uint addBytes = Item(added).ValueBytes;

        // Keep the old item out of reach of the eviction the allocation may do: it is still needed.
        LruRemove(old);
        AllocStatus status = Allocate(Key(old), o.ClientFlags, o.ExpTime, (int)(oldBytes + addBytes), out uint combined);
        LruPushHead(old);
        if (status != AllocStatus.Ok)
        {
            return 0;
        }

        CopyValue(prepend ? added : old, combined, 0);
        CopyValue(prepend ? old : added, combined, (int)(prepend ? addBytes : oldBytes));
        return combined;
    }

    private void CopyValue(uint from, uint to, int at)
    {
        Span<byte> buffer = stackalloc byte[StoreLayout.ChunkBytes];
        int length = (int)Item(from).ValueBytes;
        for (int done = 0; done < length;)
        {
            int piece = Math.Min(buffer.Length, length - done);
            ReadValue(from, done, buffer[..piece]);
            WriteValue(to, at + done, buffer[..piece]);
            done += piece;
        }
    }

    // memcached's do_item_update: refresh a stale access time and move to the LRU head, without marking fetched.
    private void TouchLru(uint handle)
    {
        ref ItemHeader it = ref ItemW(handle);
        uint now = CurrentTime;
        if (it.Time < now - ItemUpdateIntervalSeconds)
        {
            it.Time = now;
        }

        LruRemove(handle);
        LruPushHead(handle);
    }

    /// <summary>
    /// memcached's do_add_delta: incr (wrapping at 2^64) or decr (stopping at 0) a decimal value. A result no longer
    /// than the old value is written in place, padded with spaces, under a new CAS; a longer one goes to a new item.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="incr">Increment (else decrement).</param>
    /// <param name="delta">The amount.</param>
    /// <param name="value">The new value.</param>
    /// <param name="cas">In: the CAS to compare (0 for none). Out: the item's CAS after the change.</param>
    /// <param name="handle">The changed item (valid until the next store operation).</param>
    public DeltaResult AddDelta(ReadOnlySpan<byte> key, bool incr, ulong delta, ref ulong cas, out ulong value, out uint handle)
    {
        value = 0;
        handle = 0;
        uint hash = Hash(key);
        uint it = Get(key, hash, update: false);
        if (it == 0)
        {
            return DeltaResult.NotFound;
        }

        if (cas != 0 && Item(it).Cas != cas)
        {
            return DeltaResult.CasMismatch;
        }

        uint length = Item(it).ValueBytes;
        if (length == 0 || !TryParseValue(it, length, out ulong current))
        {
            return DeltaResult.NonNumeric;
        }

        ref StoreStats stats = ref StatsW;
        if (incr)
        {
            value = unchecked(current + delta);
            stats.IncrHits++;
            ClassW(Item(it).ClassId).IncrHits++;
        }
        else
        {
            value = delta > current ? 0 : current - delta;
            stats.DecrHits++;
            ClassW(Item(it).ClassId).DecrHits++;
        }

        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        digits = digits[..written];
        if (written <= length)
        {
            ItemW(it).Cas = NextCas();
            Span<byte> padded = stackalloc byte[(int)Math.Min(length, 64)];
            if (length <= 64)
            {
                digits.CopyTo(padded);
                padded[written..].Fill((byte)' ');
                WriteValue(it, 0, padded);
            }
            else
            {
                WriteValue(it, 0, digits);
                padded.Fill((byte)' ');
                for (int at = written; at < length; at += padded.Length)
                {
                    WriteValue(it, at, padded[..(int)Math.Min(padded.Length, length - at)]);
                }
            }

            TouchLru(it);
            handle = it;
        }
        else
        {
            ref readonly ItemHeader o = ref Item(it);
            LruRemove(it);
            AllocStatus status = Allocate(key, o.ClientFlags, o.ExpTime, written, out uint fresh);
            LruPushHead(it);
            if (status != AllocStatus.Ok)
            {
                return DeltaResult.NoMemory;
            }

            WriteValue(fresh, 0, digits);
            Replace(it, fresh, hash);
            handle = fresh;
        }

        cas = Item(handle).Cas;
        return DeltaResult.Ok;
    }

    // strtoull over the value followed by memcached's stored "\r\n": leading white space, an optional sign, digits,
    // then white space (or the end) must follow; overflow fails; a '-' on a value that is negative as signed fails.
    private bool TryParseValue(uint it, uint length, out ulong value)
    {
        Span<byte> text = stackalloc byte[64];
        int n = (int)Math.Min(length, (uint)text.Length - 1);
        ReadValue(it, 0, text[..n]);
        text[n] = length > n ? (byte)'x' : (byte)'\r';
        return NumberParser.TryParseStrtoull(text[..(n + 1)], stopAtWhiteSpace: true, out value);
    }

    /// <summary>memcached's item_touch: the live item with a new expiry (marked fetched and bumped), or 0.</summary>
    public uint Touch(ReadOnlySpan<byte> key, uint exptime)
    {
        uint it = Get(key, Hash(key), update: true);
        if (it != 0)
        {
            ItemW(it).ExpTime = exptime;
        }

        return it;
    }

    /// <summary>Removes the live item with this key; false when there was none.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        uint it = Get(key, Hash(key), update: false);
        if (it == 0)
        {
            return false;
        }

        ClassW(Item(it).ClassId).DeleteHits++;
        Unlink(it);
        return true;
    }

    /// <summary>memcached's flush_all: items last updated before the given moment (now when 0 or less) disappear.</summary>
    public void FlushAll(long exptime)
    {
        uint newOldest = exptime > 0 ? RealTime(exptime) : CurrentTime;
        ref StoreHeader h = ref HeaderW;
        h.OldestLive = newOldest - 1;
        if (h.OldestLive <= CurrentTime)
        {
            h.OldestCas = NextCas();
        }
    }
}
