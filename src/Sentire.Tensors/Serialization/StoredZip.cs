using System.Buffers.Binary;
using System.Text;

namespace Sentire.Tensors.Serialization;

/// <summary>Where one stored (uncompressed) zip entry's bytes lie in the archive.</summary>
readonly record struct ZipEntry(string Name, long DataOffset, long Length);

/// <summary>
/// The central directory of a zip archive whose entries are stored, not compressed (as torch.save writes them, each
/// aligned to 64 bytes so that storages can be read in place). Format: PKWARE APPNOTE.TXT sections 4.3.12 (central
/// directory header), 4.3.14-16 (zip64 end records) and 4.5.3 (zip64 extra field). Only what locating the data needs is
/// read; every offset and size is checked against the archive's length.
/// </summary>
unsafe static class StoredZip
{
    const uint EndOfCentralDirectory = 0x06054b50, Zip64EndLocator = 0x07064b50, Zip64End = 0x06064b50;
    const uint CentralHeader = 0x02014b50, LocalHeader = 0x04034b50;
    const int EndLength = 22, CentralLength = 46, LocalLength = 30;

    /// <summary>Reads the entries of the <paramref name="length"/>-byte archive at <paramref name="archive"/> (<paramref name="path"/> names it in errors).</summary>
    public static Dictionary<string, ZipEntry> ReadEntries(string path, byte* archive, long length)
    {
        TorchCheckpointFormatException Bad(string problem) => new(path, problem);
        // n bytes at an offset already checked to lie inside the archive (spans are int-sized; archives may exceed 2 GB)
        ReadOnlySpan<byte> At(long offset, int n) => new(archive + offset, n);
        uint U32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(At(offset, 4));
        if (length < EndLength) throw Bad($"the file is {length} bytes, too short for a zip archive");

        // 1) the end of central directory record: the last 22 bytes, unless a comment (at most 65535 bytes) follows it
        long end = -1;
        for (long at = length - EndLength; at >= Math.Max(0, length - EndLength - 0xFFFF); at--)
            if (U32(at) == EndOfCentralDirectory && at + EndLength + BinaryPrimitives.ReadUInt16LittleEndian(At(at + 20, 2)) == length)
            { end = at; break; }
        if (end < 0) throw Bad("no zip end-of-central-directory record: not a zip archive, or truncated");
        var record = At(end, EndLength);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);

        // 2) zip64: the locator just before it points at the zip64 end record with 64-bit counts and offsets
        if (count == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
        {
            if (end < 20 || U32(end - 20) != Zip64EndLocator)
                throw Bad("the zip end record asks for zip64 but no zip64 locator precedes it");
            ulong zip64 = BinaryPrimitives.ReadUInt64LittleEndian(At(end - 12, 8));
            if (end - 20 < 56 || zip64 > (ulong)(end - 20 - 56) || U32((long)zip64) != Zip64End)
                throw Bad($"the zip64 end record at {zip64} is missing");
            var z = At((long)zip64, 56);
            ulong count64 = BinaryPrimitives.ReadUInt64LittleEndian(z[32..]);
            ulong size64 = BinaryPrimitives.ReadUInt64LittleEndian(z[40..]);
            ulong offset64 = BinaryPrimitives.ReadUInt64LittleEndian(z[48..]);
            if (count64 > (ulong)length || size64 > (ulong)length || offset64 > (ulong)length)
                throw Bad("the zip64 end record has counts or offsets beyond the archive");
            (count, directorySize, directoryOffset) = ((long)count64, (long)size64, (long)offset64);
        }
        if (directorySize > end - directoryOffset)
            throw Bad($"the zip central directory [{directoryOffset}, {directoryOffset + directorySize}) runs past its end record at {end}");
        if (count > directorySize / CentralLength)
            throw Bad($"the zip central directory claims {count} entries in {directorySize} bytes");

        // 3) the central directory: name, sizes, method and local header offset of each entry
        var entries = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        long p = directoryOffset;
        long directoryEnd = directoryOffset + directorySize;
        for (long i = 0; i < count; i++)
        {
            if (p + CentralLength > directoryEnd || U32(p) != CentralHeader)
                throw Bad($"zip central directory entry {i} at {p} is broken");
            var h = At(p, CentralLength);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long local = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            long next = p + CentralLength + nameLength + extraLength + commentLength;
            if (next > directoryEnd) throw Bad($"zip central directory entry {i} runs past the directory");
            var name = Encoding.UTF8.GetString(At(p + CentralLength, nameLength));
            var extra = At(p + CentralLength + nameLength, extraLength);
            ReadZip64Extra(extra, ref size, ref compressed, ref local);
            p = next;

            if ((flags & 1) != 0) throw Bad($"zip entry \"{name}\" is encrypted");
            if (method != 0) throw Bad($"zip entry \"{name}\" is compressed (method {method}); torch.save stores entries uncompressed");
            if (compressed != size) throw Bad($"zip entry \"{name}\" is stored with {compressed} bytes but claims {size}");
            if (local < 0 || local > length - LocalLength || U32(local) != LocalHeader)
                throw Bad($"zip entry \"{name}\": no local header at {local}");
            var l = At(local, LocalLength);
            long data = local + LocalLength + BinaryPrimitives.ReadUInt16LittleEndian(l[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(l[28..]);
            if (size < 0 || size > length - data) throw Bad($"zip entry \"{name}\" [{data}, {data + size}) runs past the archive ({length} bytes)");
            if (!entries.TryAdd(name, new ZipEntry(name, data, size))) throw Bad($"zip entry \"{name}\" appears twice");
        }
        return entries;
    }

    /// <summary>The zip64 extended information extra field (id 1) holds, in this order, each 32-bit field that is 0xFFFFFFFF.</summary>
    static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long local)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4) return;
            var field = extra.Slice(4, length);
            if (id == 1)
            {
                // a field missing from a short extra reads as -1, which the caller's range checks refuse
                int at = 0;
                if (size == 0xFFFFFFFF) { size = Field64(field, at); at += 8; }
                if (compressed == 0xFFFFFFFF) { compressed = Field64(field, at); at += 8; }
                if (local == 0xFFFFFFFF) local = Field64(field, at);
                return;
            }
            extra = extra[(4 + length)..];
        }
    }

    static long Field64(ReadOnlySpan<byte> field, int at) =>
        at + 8 <= field.Length ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(field[at..]), long.MaxValue) : -1;
}
