using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeOS.Core.Channels.Internal;

/// <summary>
/// Process identity and liveness: pid plus start time (so a reused pid is not mistaken for the original process),
/// and a monotonic clock for heartbeats that every process on the machine shares.
/// </summary>
internal static class PeerLiveness
{
    internal static bool IsLinux { get; } = OperatingSystem.IsLinux();

    /// <summary>This process's start time in clock ticks since boot (<c>/proc/self/stat</c> field 22), or 0 off Linux.</summary>
    internal static ulong CurrentStartTime { get; } = IsLinux ? ReadStartTime(Environment.ProcessId) ?? 0 : 0;

    /// <summary>
    /// Nanoseconds of a machine-wide monotonic clock. On Linux <see cref="Stopwatch"/> reads CLOCK_MONOTONIC in
    /// nanoseconds, which every process shares, so heartbeats written by one process can be aged by another.
    /// </summary>
    internal static long NowNanoseconds()
    {
        long ticks = Stopwatch.GetTimestamp();
        return Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency));
    }

    /// <summary>
    /// Whether the process <paramref name="pid"/> started at <paramref name="startTime"/> still runs: <c>kill(pid, 0)</c>
    /// says whether the pid exists (EPERM means it exists but belongs to someone else) and the start time in
    /// <c>/proc/&lt;pid&gt;/stat</c> says whether it is the same process. Null when this cannot be decided (not Linux).
    /// Costs a system call and a small file read: slow paths only.
    /// </summary>
    internal static bool? IsProcessAlive(int pid, ulong startTime)
    {
        if (!IsLinux || pid <= 0)
        {
            return null;
        }

        if (pid == Environment.ProcessId)
        {
            return startTime == 0 || startTime == CurrentStartTime;
        }

        if (Interop.Signal.Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == Interop.Signal.Esrch)
        {
            return false;
        }

        ulong? actual = ReadStartTime(pid);
        if (actual is null)
        {
            return false;
        }

        return startTime == 0 || actual.Value == startTime;
    }

    /// <summary>Field 22 (starttime) of <c>/proc/&lt;pid&gt;/stat</c>; null when the process is gone.</summary>
    internal static ulong? ReadStartTime(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may contain spaces or ')', so count from the last ')'.
        int close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ')' come field 3 (state) onwards; starttime is field 22, the 20th of them.
        ReadOnlySpan<char> rest = text.AsSpan(close + 1).TrimStart();
        for (int field = 3; field < 22; field++)
        {
            int space = rest.IndexOf(' ');
            if (space < 0)
            {
                return null;
            }

            rest = rest[(space + 1)..];
        }

        int end = rest.IndexOf(' ');
        ReadOnlySpan<char> value = end < 0 ? rest : rest[..end];
        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed) ? parsed : null;
    }
}
