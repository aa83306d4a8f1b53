using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sentire.Audio;

/// <summary>An array read from a .npy file, converted to float32, C order.</summary>
public sealed record NpyArray(int[] Shape, float[] Data);

/// <summary>
/// NumPy's .npy format (format versions 1–3): the magic "\x93NUMPY", a version, a little-endian header
/// length, an ASCII dict {'descr', 'fortran_order', 'shape'} padded to a multiple of 64 bytes, then the raw data.
/// Reads little-endian f4/f8/i2/i4/i8/u1 into float32; writes float32 (version 1.0).
/// </summary>
public static partial class Npy
{
    static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a .npy file (missing \\x93NUMPY magic).");
        var major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3) { headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))); headerStart = 12; }
        else throw new InvalidDataException($"{path}: .npy format version {major} is not supported (expected 1, 2 or 3).");
        var header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
            throw new InvalidDataException($"{path}: unreadable .npy header '{header.Trim()}'.");
        if (fortran.Groups[1].Value == "True")
            throw new InvalidDataException($"{path}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray).");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var type = descr.Groups[1].Value;
        var itemSize = type switch
        {
            "<f4" or "<i4" => 4, "<f8" or "<i8" => 8, "<i2" => 2, "|u1" or "|i1" => 1,
            _ => throw new InvalidDataException($"{path}: dtype '{type}' is not supported (expected <f4, <f8, <i2, <i4, <i8, |u1 or |i1)."),
        };
        var dataStart = headerStart + headerLength;
        if (bytes.Length - dataStart != count * itemSize)
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) of {type} needs {count * itemSize} data bytes, found {bytes.Length - dataStart}.");
        var data = new float[count];
        var raw = bytes.AsSpan(dataStart);
        for (var i = 0; i < data.Length; i++)
            data[i] = type switch
            {
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]),
                "<f8" => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]),
                "<i2" => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                "<i4" => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
                "|u1" => raw[i],
                _ => (sbyte)raw[i],
            };
        return new NpyArray(shape, data);
    }

    /// <summary>Writes float32 data of the given shape (C order) as a version 1.0 .npy file.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} values, got {data.Length}.", nameof(data));
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shapeText}, }}";
        // magic(6) + version(2) + length(2) + dict + padding + '\n' is a multiple of 64.
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        using var stream = File.Create(path);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var buffer = new byte[4 * Math.Min(data.Length, 1 << 16)];
        for (var start = 0; start < data.Length; start += buffer.Length / 4)
        {
            var chunk = data.Slice(start, Math.Min(buffer.Length / 4, data.Length - start));
            for (var i = 0; i < chunk.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), chunk[i]);
            stream.Write(buffer, 0, 4 * chunk.Length);
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
