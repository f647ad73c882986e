using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace EdgeOS.Core.Memory.Internal;

/// <summary>
/// The layout of an EdgeOS shared memory region (a memfd or a file mapped by several processes), described once.
/// </summary>
/// <remarks>
/// <code>
///  0                   8         12          16                  24          28        32                     64
///  +-------------------+---------+-----------+-------------------+-----------+---------+----------------------+
///  | magic "EDGEOSMR"  | version | headerSize| dataSize          | creatorPid| flags   | reserved (zero)      |
///  | u64               | u32 = 1 | u32 = 4096| u64               | i32       | u32 = 0 | 32 bytes             |
///  +-------------------+---------+-----------+-------------------+-----------+---------+----------------------+
///  64 .. headerSize: reserved (zero), so the data area starts on a page boundary.
///  headerSize .. headerSize + dataSize: the data area (what <see cref="SharedMemoryRegion.Data"/> covers).
/// </code>
/// All fields are little-endian. The file is exactly <c>headerSize + dataSize</c> bytes long.
/// <para>
/// Publication order: the creator sizes the file, writes every other field, and writes <c>magic</c> last with
/// release semantics. An opener reads <c>magic</c> first; seeing the right magic therefore implies seeing every
/// field the creator wrote before it. A file whose magic is still zero is refused (not yet initialized).
/// </para>
/// </remarks>
internal static class SharedRegionDescriptor
{
    internal const int MagicOffset = 0;
    internal const int VersionOffset = 8;
    internal const int HeaderSizeOffset = 12;
    internal const int DataSizeOffset = 16;
    internal const int CreatorPidOffset = 24;
    internal const int FlagsOffset = 28;
    internal const int ReservedOffset = 32;

    /// <summary>The bytes an opener reads and validates before mapping anything.</summary>
    internal const int FieldsBytes = 64;

    /// <summary>The header size of version 1: one page, so that the data area is page-aligned.</summary>
    internal const int HeaderSizeBytes = 4096;

    internal const uint CurrentVersion = 1;

    /// <summary>"EDGEOSMR" read as a little-endian 64-bit integer.</summary>
    internal const ulong Magic = 0x524D_534F_4547_4445;

    internal static string MagicText(ulong magic)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, magic);
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return string.Create(CultureInfo.InvariantCulture, $"0x{magic:X16}");
            }
        }

        return "\"" + System.Text.Encoding.ASCII.GetString(bytes) + "\"";
    }

    /// <summary>Writes a fresh header; <c>magic</c> goes last, with release semantics.</summary>
    internal static void Initialize(Span<byte> header, long dataSizeBytes, int creatorPid)
    {
        header[..HeaderSizeBytes].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderSizeOffset..], HeaderSizeBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header[DataSizeOffset..], dataSizeBytes);
        BinaryPrimitives.WriteInt32LittleEndian(header[CreatorPidOffset..], creatorPid);
        BinaryPrimitives.WriteUInt32LittleEndian(header[FlagsOffset..], 0);
        ulong magic = BitConverter.IsLittleEndian ? Magic : BinaryPrimitives.ReverseEndianness(Magic);
        Volatile.Write(ref Unsafe.As<byte, ulong>(ref header[MagicOffset]), magic);
    }

    /// <summary>
    /// Validates the first <see cref="FieldsBytes"/> of a file of <paramref name="fileLength"/> bytes and returns the
    /// data size; throws <see cref="SharedMemoryFormatException"/> naming the first wrong field.
    /// </summary>
    internal static (long DataSizeBytes, int CreatorPid, uint Version) Validate(ReadOnlySpan<byte> fields, long fileLength, string path)
    {
        if (fileLength < FieldsBytes || fields.Length < FieldsBytes)
        {
            MemoryThrowHelper.ThrowFormat(path, "fileLength", $"at least {FieldsBytes} bytes (the header fields)", $"{fileLength} bytes (truncated)");
        }

        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(fields[MagicOffset..]);
        if (magic != Magic)
        {
            MemoryThrowHelper.ThrowFormat(path, "magic", MagicText(Magic), MagicText(magic));
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(fields[VersionOffset..]);
        if (version != CurrentVersion)
        {
            MemoryThrowHelper.ThrowFormat(path, "version", Text(CurrentVersion), Text(version));
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(fields[HeaderSizeOffset..]);
        if (headerSize != HeaderSizeBytes)
        {
            MemoryThrowHelper.ThrowFormat(path, "headerSize", Text(HeaderSizeBytes), Text(headerSize));
        }

        long dataSize = BinaryPrimitives.ReadInt64LittleEndian(fields[DataSizeOffset..]);
        if (dataSize <= 0 || dataSize > MemoryRegion.SizeBytesMax)
        {
            MemoryThrowHelper.ThrowFormat(path, "dataSize", $"between 1 and {MemoryRegion.SizeBytesMax}", Text(dataSize));
        }

        if (fileLength != HeaderSizeBytes + dataSize)
        {
            MemoryThrowHelper.ThrowFormat(
                path,
                "fileLength",
                $"{HeaderSizeBytes + dataSize} bytes (headerSize {HeaderSizeBytes} + dataSize {dataSize})",
                $"{fileLength} bytes{(fileLength < HeaderSizeBytes + dataSize ? " (truncated)" : string.Empty)}");
        }

        int creatorPid = BinaryPrimitives.ReadInt32LittleEndian(fields[CreatorPidOffset..]);
        return (dataSize, creatorPid, version);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
