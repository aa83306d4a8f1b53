namespace Sentire.Audio.Decoding;

/// <summary>
/// The two CRCs of FLAC frames (RFC 9639 §9.1.8, §9.4): CRC-8 with polynomial x^8+x^2+x+1 (0x07) over the frame
/// header and CRC-16 with polynomial x^16+x^15+x^2+1 (0x8005) over the whole frame, both MSB-first with zero initial value.
/// CRC-16 runs "slicing by 8" (eight derived tables, eight bytes per step) as it covers every compressed byte.
/// </summary>
internal static class FlacCrc
{
    /// <summary>Lookup tables, filled once by the type initialiser and never written after.</summary>
    static readonly byte[] Crc8Table = BuildCrc8();
    static readonly ushort[] Crc16Tables = BuildCrc16();

    public static byte Crc8(ReadOnlySpan<byte> bytes)
    {
        byte crc = 0;
        foreach (var b in bytes) crc = Crc8Table[crc ^ b];
        return crc;
    }

    public static ushort Crc16(ReadOnlySpan<byte> bytes)
    {
        var t = Crc16Tables.AsSpan();
        uint crc = 0;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            // Fold the CRC into the first two bytes, then each byte's table k gives its contribution shifted past 7-k bytes.
            crc = (uint)(t[7 * 256 + (int)(bytes[i] ^ (crc >> 8))] ^ t[6 * 256 + (int)(bytes[i + 1] ^ (crc & 0xFF))]
                ^ t[5 * 256 + bytes[i + 2]] ^ t[4 * 256 + bytes[i + 3]] ^ t[3 * 256 + bytes[i + 4]]
                ^ t[2 * 256 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]]);
        }
        for (; i < bytes.Length; i++) crc = ((crc << 8) ^ t[(int)((crc >> 8) ^ bytes[i]) & 0xFF]) & 0xFFFF;
        return (ushort)crc;
    }

    static byte[] BuildCrc8()
    {
        var table = new byte[256];
        for (int n = 0; n < 256; n++)
        {
            int crc = n;
            for (int k = 0; k < 8; k++) crc = (crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1;
            table[n] = (byte)crc;
        }
        return table;
    }

    static ushort[] BuildCrc16()
    {
        var tables = new ushort[8 * 256];
        for (int n = 0; n < 256; n++)
        {
            int crc = n << 8;
            for (int k = 0; k < 8; k++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x8005 : crc << 1;
            tables[n] = (ushort)crc;
        }
        // Table k: the CRC of byte n followed by k zero bytes.
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++)
            {
                var previous = tables[(k - 1) * 256 + n];
                tables[k * 256 + n] = (ushort)((previous << 8) ^ tables[previous >> 8]);
            }
        return tables;
    }
}
