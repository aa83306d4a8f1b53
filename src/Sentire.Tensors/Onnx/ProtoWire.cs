using System.Buffers.Binary;
using System.Text;

namespace Sentire.Tensors.Onnx;

/// <summary>A protobuf message that cannot be read: names the problem and the byte offset.</summary>
public sealed class OnnxFormatException(string message) : Exception(message);

/// <summary>Protocol Buffers wire types (protobuf.dev/programming-guides/encoding): the low 3 bits of a field key.</summary>
public enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 }

/// <summary>
/// Writes protobuf wire format: key = (field number &lt;&lt; 3) | wire type as a varint, then the value: varints in
/// 7-bit little-endian groups with the high bit set on all but the last byte; int64 negatives as 10-byte two's
/// complement; strings, bytes, packed repeated scalars and sub-messages length-prefixed.
/// </summary>
public sealed class ProtoWriter
{
    readonly MemoryStream buffer = new();

    public byte[] ToArray() => buffer.ToArray();

    public void Varint(ulong value)
    {
        while (value >= 0x80) { buffer.WriteByte((byte)(value | 0x80)); value >>= 7; }
        buffer.WriteByte((byte)value);
    }

    void Key(int field, WireType type) => Varint(((ulong)field << 3) | (ulong)type);

    public void Int64(int field, long value) { Key(field, WireType.Varint); Varint(unchecked((ulong)value)); }

    public void Float(int field, float value)
    {
        Key(field, WireType.Fixed32);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        buffer.Write(b);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value) { Key(field, WireType.LengthDelimited); Varint((ulong)value.Length); buffer.Write(value); }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public void PackedInt64(int field, IReadOnlyList<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.Varint(unchecked((ulong)v));
        Bytes(field, inner.ToArray());
    }

    public void PackedFloat(int field, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        Bytes(field, bytes);
    }
}

/// <summary>Reads protobuf wire format field by field; unknown fields are skipped by the caller with <see cref="Skip"/>.</summary>
public ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    readonly ReadOnlySpan<byte> data = data;
    int position;

    public readonly bool End => position >= data.Length;

    public ulong Varint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length) throw new OnnxFormatException($"truncated varint at byte {position}");
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new OnnxFormatException($"varint longer than 10 bytes at byte {position}");
    }

    public (int Field, WireType Type) Key()
    {
        ulong key = Varint();
        var type = (WireType)(key & 7);
        if (type is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw new OnnxFormatException($"unsupported wire type {(int)type} at byte {position}");
        return ((int)(key >> 3), type);
    }

    public long Int64() => unchecked((long)Varint());

    public float Float()
    {
        if (position + 4 > data.Length) throw new OnnxFormatException($"truncated float at byte {position}");
        var v = BinaryPrimitives.ReadSingleLittleEndian(data[position..]);
        position += 4;
        return v;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        ulong length = Varint();
        if (length > (ulong)(data.Length - position)) throw new OnnxFormatException($"length {length} at byte {position} runs past the end ({data.Length} bytes)");
        var slice = data.Slice(position, (int)length);
        position += (int)length;
        return slice;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    /// <summary>A repeated int64 field, packed (one length-delimited run) or not (one varint).</summary>
    public void Int64s(WireType type, List<long> into)
    {
        if (type == WireType.Varint) { into.Add(Int64()); return; }
        var inner = new ProtoReader(Bytes());
        while (!inner.End) into.Add(inner.Int64());
    }

    /// <summary>A repeated float field, packed or not.</summary>
    public void Floats(WireType type, List<float> into)
    {
        if (type == WireType.Fixed32) { into.Add(Float()); return; }
        var bytes = Bytes();
        if (bytes.Length % 4 != 0) throw new OnnxFormatException($"packed floats of {bytes.Length} bytes (not a multiple of 4)");
        for (int i = 0; i < bytes.Length; i += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]));
    }

    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint: Varint(); break;
            case WireType.Fixed64: position += 8; break;
            case WireType.Fixed32: position += 4; break;
            default: Bytes(); break;
        }
        if (position > data.Length) throw new OnnxFormatException($"field runs past the end ({data.Length} bytes)");
    }
}
