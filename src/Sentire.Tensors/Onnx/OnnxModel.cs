using System.Buffers.Binary;
using Sentire.IO;

namespace Sentire.Tensors.Onnx;

/// <summary>TensorProto.DataType values we read and write.</summary>
public enum OnnxDataType { Undefined = 0, Float = 1, Int32 = 6, Int64 = 7 }

/// <summary>AttributeProto.AttributeType values we read and write.</summary>
public enum OnnxAttributeType { Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Floats = 6, Ints = 7 }

/// <summary>A TensorProto: an initializer or a tensor-valued attribute. Float data as float32, integers as int64.</summary>
public sealed record OnnxTensor(string Name, long[] Dims, OnnxDataType DataType, float[] FloatData, long[] Int64Data)
{
    public static OnnxTensor FromTensor(string name, Tensor t) => new(name, [.. t.ShapeArray().Select(d => (long)d)], OnnxDataType.Float, t.Data.ToArray(), []);

    public static OnnxTensor FromInt64(string name, long[] values, params long[] dims) => new(name, dims, OnnxDataType.Int64, [], values);

    public Tensor ToTensor() => DataType == OnnxDataType.Float
        ? new Tensor((float[])FloatData.Clone(), [.. Dims.Select(d => (int)d)])
        : new Tensor(Int64Data.Select(v => (float)v).ToArray(), [.. Dims.Select(d => (int)d)]);
}

/// <summary>One dimension of a TensorShapeProto: a fixed size or a symbolic name.</summary>
public sealed record OnnxDim(long? Value, string? Param = null)
{
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>A ValueInfoProto of a tensor: graph inputs and outputs.</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElemType, IReadOnlyList<OnnxDim> Shape);

/// <summary>An AttributeProto; which value field is set follows <see cref="Type"/>.</summary>
public sealed record OnnxAttribute(string Name, OnnxAttributeType Type, float F = 0, long I = 0, string? S = null,
    IReadOnlyList<float>? Floats = null, IReadOnlyList<long>? Ints = null, OnnxTensor? T = null)
{
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int, I: value);
    public static OnnxAttribute IntList(string name, params long[] values) => new(name, OnnxAttributeType.Ints, Ints: values);
    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float, F: value);
}

/// <summary>A NodeProto: one operator application.</summary>
public sealed record OnnxNode(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes, string Name = "", string Domain = "")
{
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
    public long Int(string name, long fallback) => Attribute(name)?.I ?? fallback;
    public float Float(string name, float fallback) => Attribute(name)?.F ?? fallback;
    public IReadOnlyList<long>? Ints(string name) => Attribute(name)?.Ints;
}

/// <summary>A GraphProto: nodes in topological order, initializers (weights), inputs and outputs.</summary>
public sealed record OnnxGraph(string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs, string DocString = "");

/// <summary>An operator set the model uses (OperatorSetIdProto); "" is the default ai.onnx domain.</summary>
public sealed record OnnxOpset(string Domain, long Version);

/// <summary>A ModelProto (onnx/onnx.proto): IR version, operator sets, producer, the graph and metadata.</summary>
public sealed record OnnxModel(long IrVersion, IReadOnlyList<OnnxOpset> Opsets, string ProducerName, string ProducerVersion, OnnxGraph Graph,
    IReadOnlyDictionary<string, string> Metadata, string DocString = "");

/// <summary>
/// Reads and writes ONNX model files with a hand-written protobuf encoding (field numbers of onnx/onnx.proto, which
/// is proto2: repeated int64 fields such as dims and ints are written unpacked, float_data packed; the reader accepts
/// both). Float initializers are stored as little-endian raw_data. Only the messages and fields above are kept;
/// anything else is skipped on reading.
/// </summary>
public static class OnnxFile
{
    public static void Save(string path, OnnxModel model)
    {
        var bytes = Serialize(model);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    public static OnnxModel Load(string path)
    {
        try { return Parse(File.ReadAllBytes(path)); }
        catch (OnnxFormatException e) { throw new OnnxFormatException($"{path}: {e.Message}"); }
    }

    // ---- writing ----

    public static byte[] Serialize(OnnxModel model)
    {
        var w = new ProtoWriter();
        w.Int64(1, model.IrVersion);                                   // ir_version
        w.String(2, model.ProducerName);                               // producer_name
        w.String(3, model.ProducerVersion);                            // producer_version
        if (model.DocString.Length > 0) w.String(6, model.DocString);  // doc_string
        w.Message(7, Graph(model.Graph));                              // graph
        foreach (var opset in model.Opsets)                            // opset_import
        {
            var o = new ProtoWriter();
            if (opset.Domain.Length > 0) o.String(1, opset.Domain);
            o.Int64(2, opset.Version);
            w.Message(8, o);
        }
        foreach (var (key, value) in model.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))   // metadata_props
        {
            var e = new ProtoWriter();
            e.String(1, key);
            e.String(2, value);
            w.Message(14, e);
        }
        return w.ToArray();
    }

    static ProtoWriter Graph(OnnxGraph graph)
    {
        var w = new ProtoWriter();
        foreach (var node in graph.Nodes) w.Message(1, Node(node));              // node
        w.String(2, graph.Name);                                                 // name
        foreach (var t in graph.Initializers) w.Message(5, Tensor(t));           // initializer
        if (graph.DocString.Length > 0) w.String(10, graph.DocString);           // doc_string
        foreach (var v in graph.Inputs) w.Message(11, ValueInfo(v));             // input
        foreach (var v in graph.Outputs) w.Message(12, ValueInfo(v));            // output
        return w;
    }

    static ProtoWriter Node(OnnxNode node)
    {
        var w = new ProtoWriter();
        foreach (var i in node.Inputs) w.String(1, i);
        foreach (var o in node.Outputs) w.String(2, o);
        if (node.Name.Length > 0) w.String(3, node.Name);
        w.String(4, node.OpType);
        foreach (var a in node.Attributes) w.Message(5, Attribute(a));
        if (node.Domain.Length > 0) w.String(7, node.Domain);
        return w;
    }

    static ProtoWriter Attribute(OnnxAttribute a)
    {
        var w = new ProtoWriter();
        w.String(1, a.Name);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: w.Float(2, a.F); break;
            case OnnxAttributeType.Int: w.Int64(3, a.I); break;
            case OnnxAttributeType.String: w.String(4, a.S ?? ""); break;
            case OnnxAttributeType.Tensor: w.Message(5, Tensor(a.T ?? throw new ArgumentException($"tensor attribute '{a.Name}' has no tensor"))); break;
            case OnnxAttributeType.Floats: foreach (var f in a.Floats ?? []) w.Float(7, f); break;
            case OnnxAttributeType.Ints: foreach (var i in a.Ints ?? []) w.Int64(8, i); break;
            default: throw new ArgumentException($"attribute '{a.Name}' has type {a.Type}, which this writer does not handle");
        }
        w.Int64(20, (long)a.Type);
        return w;
    }

    static ProtoWriter Tensor(OnnxTensor t)
    {
        var w = new ProtoWriter();
        foreach (var d in t.Dims) w.Int64(1, d);                                 // dims
        w.Int64(2, (long)t.DataType);                                            // data_type
        w.String(8, t.Name);                                                     // name
        var raw = t.DataType switch
        {
            OnnxDataType.Float => new byte[t.FloatData.Length * 4],
            OnnxDataType.Int64 => new byte[t.Int64Data.Length * 8],
            _ => throw new ArgumentException($"tensor '{t.Name}' has data type {t.DataType}; the writer stores float and int64"),
        };
        if (t.DataType == OnnxDataType.Float) for (int i = 0; i < t.FloatData.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), t.FloatData[i]);
        else for (int i = 0; i < t.Int64Data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8 * i), t.Int64Data[i]);
        w.Bytes(9, raw);                                                         // raw_data
        return w;
    }

    static ProtoWriter ValueInfo(OnnxValueInfo v)
    {
        var shape = new ProtoWriter();
        foreach (var d in v.Shape)
        {
            var dim = new ProtoWriter();
            if (d.Value is { } value) dim.Int64(1, value);                       // dim_value
            else if (d.Param is { } param) dim.String(2, param);                 // dim_param
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Int64(1, (long)v.ElemType);                                   // elem_type
        tensorType.Message(2, shape);                                            // shape
        var type = new ProtoWriter();
        type.Message(1, tensorType);                                             // tensor_type
        var w = new ProtoWriter();
        w.String(1, v.Name);
        w.Message(2, type);
        return w;
    }

    // ---- reading ----

    public static OnnxModel Parse(ReadOnlySpan<byte> data)
    {
        long ir = 0;
        string producer = "", version = "", doc = "";
        OnnxGraph? graph = null;
        var opsets = new List<OnnxOpset>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var r = new ProtoReader(data);
        while (!r.End)
        {
            var (field, type) = r.Key();
            switch (field)
            {
                case 1: ir = r.Int64(); break;
                case 2: producer = r.String(); break;
                case 3: version = r.String(); break;
                case 6: doc = r.String(); break;
                case 7: graph = ParseGraph(r.Bytes()); break;
                case 8: opsets.Add(ParseOpset(r.Bytes())); break;
                case 14:
                    var (key, value) = ParseStringEntry(r.Bytes());
                    metadata[key] = value;
                    break;
                default: r.Skip(type); break;
            }
        }
        return new OnnxModel(ir, opsets, producer, version, graph ?? throw new OnnxFormatException("the model has no graph"), metadata, doc);
    }

    static OnnxOpset ParseOpset(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string domain = "";
        long version = 0;
        while (!r.End)
        {
            var (field, type) = r.Key();
            if (field == 1) domain = r.String();
            else if (field == 2) version = r.Int64();
            else r.Skip(type);
        }
        return new OnnxOpset(domain, version);
    }

    static (string, string) ParseStringEntry(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string key = "", value = "";
        while (!r.End)
        {
            var (field, type) = r.Key();
            if (field == 1) key = r.String();
            else if (field == 2) value = r.String();
            else r.Skip(type);
        }
        return (key, value);
    }

    static OnnxGraph ParseGraph(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string name = "", doc = "";
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        while (!r.End)
        {
            var (field, type) = r.Key();
            switch (field)
            {
                case 1: nodes.Add(ParseNode(r.Bytes())); break;
                case 2: name = r.String(); break;
                case 5: initializers.Add(ParseTensor(r.Bytes())); break;
                case 10: doc = r.String(); break;
                case 11: inputs.Add(ParseValueInfo(r.Bytes())); break;
                case 12: outputs.Add(ParseValueInfo(r.Bytes())); break;
                default: r.Skip(type); break;
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs, doc);
    }

    static OnnxNode ParseNode(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", op = "", domain = "";
        while (!r.End)
        {
            var (field, type) = r.Key();
            switch (field)
            {
                case 1: inputs.Add(r.String()); break;
                case 2: outputs.Add(r.String()); break;
                case 3: name = r.String(); break;
                case 4: op = r.String(); break;
                case 5: attributes.Add(ParseAttribute(r.Bytes())); break;
                case 7: domain = r.String(); break;
                default: r.Skip(type); break;
            }
        }
        return new OnnxNode(op, inputs, outputs, attributes, name, domain);
    }

    static OnnxAttribute ParseAttribute(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string name = "";
        string? s = null;
        var type = OnnxAttributeType.Undefined;
        float f = 0;
        long i = 0;
        OnnxTensor? t = null;
        var floats = new List<float>();
        var ints = new List<long>();
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: name = r.String(); break;
                case 2: f = r.Float(); break;
                case 3: i = r.Int64(); break;
                case 4: s = r.String(); break;
                case 5: t = ParseTensor(r.Bytes()); break;
                case 7: r.Floats(wire, floats); break;
                case 8: r.Int64s(wire, ints); break;
                case 20: type = (OnnxAttributeType)r.Int64(); break;
                default: r.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, type, f, i, s, floats, ints, t);
    }

    static OnnxTensor ParseTensor(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        var dims = new List<long>();
        var floats = new List<float>();
        var int64s = new List<long>();
        var type = OnnxDataType.Undefined;
        string name = "";
        byte[]? raw = null;
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: r.Int64s(wire, dims); break;
                case 2: type = (OnnxDataType)r.Int64(); break;
                case 4: r.Floats(wire, floats); break;
                case 7: r.Int64s(wire, int64s); break;
                case 8: name = r.String(); break;
                case 9: raw = r.Bytes().ToArray(); break;
                default: r.Skip(wire); break;
            }
        }
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (raw is not null)
        {
            int size = type switch
            {
                OnnxDataType.Float => 4,
                OnnxDataType.Int64 => 8,
                _ => throw new OnnxFormatException($"tensor '{name}' has data type {(int)type}; this reader handles float and int64"),
            };
            if (raw.Length != count * size) throw new OnnxFormatException($"tensor '{name}': {raw.Length} raw bytes for shape [{string.Join(", ", dims)}], expected {count * size}");
            for (int k = 0; k < count; k++)
                if (type == OnnxDataType.Float) floats.Add(BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(4 * k)));
                else int64s.Add(BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(8 * k)));
        }
        int found = type == OnnxDataType.Float ? floats.Count : int64s.Count;
        if (found != count) throw new OnnxFormatException($"tensor '{name}': {found} values for shape [{string.Join(", ", dims)}]");
        return new OnnxTensor(name, [.. dims], type, [.. floats], [.. int64s]);
    }

    static OnnxValueInfo ParseValueInfo(ReadOnlySpan<byte> data)
    {
        var r = new ProtoReader(data);
        string name = "";
        var elem = OnnxDataType.Undefined;
        var shape = new List<OnnxDim>();
        while (!r.End)
        {
            var (field, wire) = r.Key();
            if (field == 1) { name = r.String(); continue; }
            if (field != 2) { r.Skip(wire); continue; }
            var typeReader = new ProtoReader(r.Bytes());                          // TypeProto
            while (!typeReader.End)
            {
                var (tf, tw) = typeReader.Key();
                if (tf != 1) { typeReader.Skip(tw); continue; }
                var tensorReader = new ProtoReader(typeReader.Bytes());           // TypeProto.Tensor
                while (!tensorReader.End)
                {
                    var (xf, xw) = tensorReader.Key();
                    if (xf == 1) elem = (OnnxDataType)tensorReader.Int64();
                    else if (xf == 2)
                    {
                        var shapeReader = new ProtoReader(tensorReader.Bytes());  // TensorShapeProto
                        while (!shapeReader.End)
                        {
                            var (sf, sw) = shapeReader.Key();
                            if (sf != 1) { shapeReader.Skip(sw); continue; }
                            var dimReader = new ProtoReader(shapeReader.Bytes());
                            long? value = null;
                            string? param = null;
                            while (!dimReader.End)
                            {
                                var (df, dw) = dimReader.Key();
                                if (df == 1) value = dimReader.Int64();
                                else if (df == 2) param = dimReader.String();
                                else dimReader.Skip(dw);
                            }
                            shape.Add(new OnnxDim(value, param));
                        }
                    }
                    else tensorReader.Skip(xw);
                }
            }
        }
        return new OnnxValueInfo(name, elem, shape);
    }
}
