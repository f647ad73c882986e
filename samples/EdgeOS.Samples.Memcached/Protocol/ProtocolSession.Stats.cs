using System.Buffers;
using System.Numerics;
using EdgeOS.Samples.Memcached.Storage;

namespace EdgeOS.Samples.Memcached.Protocol;

internal sealed partial class ProtocolSession
{
    private void Stats(ReadOnlySpan<byte> line, ref Tokenizer t, IBufferWriter<byte> output)
    {
        if (t.Count == 2)
        {
            WriteStatsGroup(default, output);
            return;
        }

        ReadOnlySpan<byte> sub = Tok(line, t, 1);
        if (sub.SequenceEqual("reset"u8))
        {
            ref StoreStats s = ref _store.StatsW;
            ulong currItems = s.CurrItems;
            ulong currBytes = s.CurrBytes;
            s = default;
            s.CurrItems = currItems;
            s.CurrBytes = currBytes;
            OutString(output, "RESET"u8);
            return;
        }

        if (sub.SequenceEqual("detail"u8))
        {
            ReadOnlySpan<byte> arg = t.Count < 4 ? default : Tok(line, t, 2);
            if (arg.SequenceEqual("on"u8) || arg.SequenceEqual("off"u8))
            {
                OutString(output, "OK"u8);
            }
            else if (arg.SequenceEqual("dump"u8))
            {
                output.Put("END\r\n"u8);
            }
            else
            {
                OutString(output, "CLIENT_ERROR usage: stats detail on|off|dump"u8);
            }

            return;
        }

        if (!WriteStatsGroup(sub, output))
        {
            OutString(output, "ERROR"u8);
        }
    }

    /// <summary>Writes "STAT" lines and "END" for a group ("" = general); false for an unknown group.</summary>
    private bool WriteStatsGroup(ReadOnlySpan<byte> group, IBufferWriter<byte> o)
    {
        ItemStore st = _store;
        if (group.IsEmpty)
        {
            ref readonly StoreStats s = ref st.Stats;
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using System.Diagnostics.Process self = System.Diagnostics.Process.GetCurrentProcess();
            o.PutStat("pid"u8, (long)Environment.ProcessId);
            o.PutStat("uptime"u8, (long)st.CurrentTime);
            o.PutStat("time"u8, st.ProcessStarted + st.CurrentTime);
            o.PutStat("version", ServerContext.Version);
            o.PutStat("libevent", "none");
            o.PutStat("pointer_size"u8, 64L);
            o.PutStat("rusage_user", Seconds(self.UserProcessorTime));
            o.PutStat("rusage_system", Seconds(self.PrivilegedProcessorTime));
            o.PutStat("max_connections"u8, (long)_context.MaxConnections);
            o.PutStat("curr_connections"u8, Interlocked.Read(ref _context.CurrConnections));
            o.PutStat("total_connections"u8, Interlocked.Read(ref _context.TotalConnections));
            o.PutStat("rejected_connections"u8, Interlocked.Read(ref _context.RejectedConnections));
            o.PutStat("connection_structures"u8, Interlocked.Read(ref _context.CurrConnections));
            o.PutStat("cmd_get"u8, s.CmdGet);
            o.PutStat("cmd_set"u8, s.CmdSet);
            o.PutStat("cmd_flush"u8, s.CmdFlush);
            o.PutStat("cmd_touch"u8, s.CmdTouch);
            o.PutStat("cmd_meta"u8, s.MetaCmds);
            o.PutStat("get_hits"u8, s.GetHits);
            o.PutStat("get_misses"u8, s.GetMisses);
            o.PutStat("get_expired"u8, s.GetExpired);
            o.PutStat("get_flushed"u8, s.GetFlushed);
            o.PutStat("delete_misses"u8, s.DeleteMisses);
            o.PutStat("delete_hits"u8, s.DeleteHits);
            o.PutStat("incr_misses"u8, s.IncrMisses);
            o.PutStat("incr_hits"u8, s.IncrHits);
            o.PutStat("decr_misses"u8, s.DecrMisses);
            o.PutStat("decr_hits"u8, s.DecrHits);
            o.PutStat("cas_misses"u8, s.CasMisses);
            o.PutStat("cas_hits"u8, s.CasHits);
            o.PutStat("cas_badval"u8, s.CasBadval);
            o.PutStat("touch_hits"u8, s.TouchHits);
            o.PutStat("touch_misses"u8, s.TouchMisses);
            o.PutStat("store_too_large"u8, s.StoreTooLarge);
            o.PutStat("store_no_memory"u8, s.StoreNoMemory);
            o.PutStat("auth_cmds"u8, 0L);
            o.PutStat("auth_errors"u8, 0L);
            o.PutStat("bytes_read"u8, Interlocked.Read(ref _context.BytesRead));
            o.PutStat("bytes_written"u8, Interlocked.Read(ref _context.BytesWritten));
            o.PutStat("limit_maxbytes"u8, st.MaxBytes);
            o.PutStat("accepting_conns"u8, 1L);
            o.PutStat("threads"u8, (long)_context.Threads);
            o.PutStat("hash_power_level"u8, (long)BitOperations.Log2((uint)st.Header.HashBuckets));
            o.PutStat("hash_bytes"u8, st.Header.HashBuckets * 4L);
            o.PutStat("hash_is_expanding"u8, 0L);
            o.PutStat("expired_unfetched"u8, s.ExpiredUnfetched);
            o.PutStat("evicted_unfetched"u8, s.EvictedUnfetched);
            o.PutStat("reclaimed"u8, s.Reclaimed);
            o.PutStat("bytes"u8, s.CurrBytes);
            o.PutStat("curr_items"u8, s.CurrItems);
            o.PutStat("total_items"u8, s.TotalItems);
            o.PutStat("evictions"u8, s.Evictions);
            _ = now;
        }
        else if (group.SequenceEqual("settings"u8))
        {
            o.PutStat("maxbytes"u8, st.MaxBytes);
            o.PutStat("maxconns"u8, (long)_context.MaxConnections);
            o.PutStat("tcpport"u8, (long)_context.TcpPort);
            o.PutStat("udpport"u8, (long)_context.UdpPort);
            o.PutStat("inter", _context.Interface);
            o.PutStat("verbosity"u8, (long)_context.Verbosity);
            o.PutStat("oldest"u8, 0L);
            o.PutStat("evictions", "on");
            o.PutStat("growth_factor", "1.25");
            o.PutStat("chunk_size"u8, 48L);
            o.PutStat("num_threads"u8, (long)_context.Threads);
            o.PutStat("cas_enabled", "yes");
            o.PutStat("item_size_max"u8, st.ItemSizeMax);
            o.PutStat("slab_page_size"u8, st.Header.PageSizeBytes);
            o.PutStat("hashpower_init"u8, (long)BitOperations.Log2((uint)st.Header.HashBuckets));
            o.PutStat("lru_segmented", "no");
            o.PutStat("flush_enabled", "yes");
        }
        else if (group.SequenceEqual("items"u8))
        {
            uint now = st.CurrentTime;
            for (int id = 1; id <= st.ClassCount; id++)
            {
                ref readonly SlabClass c = ref st.Class(id);
                if (c.Items == 0)
                {
                    continue;
                }

                uint tailTime = c.LruTail != 0 ? st.Item(c.LruTail).Time : now;
                PutClassStat(o, "items", id, "number", c.Items);
                PutClassStat(o, "items", id, "age", now - tailTime);
                PutClassStat(o, "items", id, "mem_requested", c.RequestedBytes);
                PutClassStat(o, "items", id, "evicted", c.Evicted);
                PutClassStat(o, "items", id, "evicted_nonzero", c.EvictedNonzero);
                PutClassStat(o, "items", id, "outofmemory", c.OutOfMemory);
                PutClassStat(o, "items", id, "reclaimed", c.Reclaimed);
            }
        }
        else if (group.SequenceEqual("slabs"u8))
        {
            int active = 0;
            long malloced = 0;
            for (int id = 1; id <= st.ClassCount; id++)
            {
                ref readonly SlabClass c = ref st.Class(id);
                if (c.TotalPages == 0)
                {
                    continue;
                }

                active++;
                long totalChunks = (long)c.TotalPages * c.ChunksPerPage;
                long endFree = c.ChunksPerPage - c.CurrentPageNext;
                malloced += c.TotalPages * st.Header.PageSizeBytes;
                PutClassStat(o, null, id, "chunk_size", c.ChunkBytes);
                PutClassStat(o, null, id, "chunks_per_page", c.ChunksPerPage);
                PutClassStat(o, null, id, "total_pages", c.TotalPages);
                PutClassStat(o, null, id, "total_chunks", (ulong)totalChunks);
                PutClassStat(o, null, id, "used_chunks", c.Items);
                PutClassStat(o, null, id, "free_chunks", c.FreeCount + (ulong)endFree);
                PutClassStat(o, null, id, "free_chunks_end", (ulong)endFree);
                PutClassStat(o, null, id, "get_hits", c.GetHits);
                PutClassStat(o, null, id, "cmd_set", c.CmdSet);
                PutClassStat(o, null, id, "delete_hits", c.DeleteHits);
                PutClassStat(o, null, id, "incr_hits", c.IncrHits);
                PutClassStat(o, null, id, "decr_hits", c.DecrHits);
                PutClassStat(o, null, id, "cas_hits", c.CasHits);
                PutClassStat(o, null, id, "cas_badval", c.CasBadval);
                PutClassStat(o, null, id, "touch_hits", c.TouchHits);
            }

            o.PutStat("active_slabs"u8, (long)active);
            o.PutStat("total_malloced"u8, malloced);
        }
        else if (group.SequenceEqual("sizes"u8))
        {
            o.PutStat("sizes_status", "disabled");
        }
        else if (group.SequenceEqual("conns"u8))
        {
            // Connection details are not tracked per tenant.
        }
        else
        {
            return false;
        }

        o.Put("END\r\n"u8);
        return true;
    }

    private static string Seconds(TimeSpan t) => FormattableString.Invariant($"{(long)t.TotalSeconds}.{t.Microseconds + (t.Milliseconds * 1000):D6}");

    private static void PutClassStat(IBufferWriter<byte> o, string? prefix, int id, string name, ulong value)
    {
        o.Put("STAT "u8);
        if (prefix is not null)
        {
            o.PutAscii(prefix);
            o.PutByte((byte)':');
        }

        o.PutNumber((ulong)id);
        o.PutByte((byte)':');
        o.PutAscii(name);
        o.PutByte((byte)' ');
        o.PutNumber(value);
        o.PutCrlf();
    }
}
