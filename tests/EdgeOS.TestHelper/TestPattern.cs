namespace EdgeOS.TestHelper;

/// <summary>
/// The deterministic byte pattern both sides of a cross-process test write and verify (compiled into the helper and
/// linked into the test project, so the two can never disagree).
/// </summary>
public static class TestPattern
{
    /// <summary>The byte at <paramref name="index"/> of the pattern for <paramref name="seed"/>.</summary>
    public static byte At(long seed, long index)
    {
        ulong x = unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL));
        x ^= x >> 31;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 29;
        return (byte)x;
    }

    /// <summary>Fills <paramref name="destination"/> with the pattern starting at <paramref name="firstIndex"/>.</summary>
    public static void Fill(Span<byte> destination, long seed, long firstIndex = 0)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = At(seed, firstIndex + i);
        }
    }

    /// <summary>The index of the first byte that differs from the pattern, or -1.</summary>
    public static long FirstMismatch(ReadOnlySpan<byte> actual, long seed, long firstIndex = 0)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] != At(seed, firstIndex + i))
            {
                return i;
            }
        }

        return -1;
    }
}
