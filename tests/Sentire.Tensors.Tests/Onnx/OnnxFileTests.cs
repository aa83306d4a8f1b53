using Microsoft.ML.OnnxRuntime;
using Sentire.Tensors.Onnx;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests.Onnx;

/// <summary>The hand-written protobuf encoding against hand-computed bytes, and the reader and writer against a
/// model written by the official onnx package (tools/onnx/reader_fixture.py, outputs from an independent numpy
/// evaluator), with ONNX Runtime running what we read and what we write back.</summary>
public sealed class OnnxFileTests
{
    static string Fixture(string name) => RepoPaths.Fixture(Path.Combine("onnx", name));

    /// <summary>Every output of <paramref name="model"/> (ONNX bytes) run by ONNX Runtime on float inputs.</summary>
    internal static Dictionary<string, Tensor> RunInOnnxRuntime(byte[] model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var session = new InferenceSession(model);
        var values = inputs.Select(kv => OrtValue.CreateTensorValueFromMemory(kv.Value.Data.ToArray(), kv.Value.Shape.ToArray().Select(d => (long)d).ToArray())).ToList();
        try
        {
            using var options = new RunOptions();
            using var results = session.Run(options, inputs.Keys.ToList(), values, session.OutputNames);
            return session.OutputNames.Zip(results).ToDictionary(p => p.First, p =>
                Tensor.FromArray(p.Second.GetTensorDataAsSpan<float>(), p.Second.GetTensorTypeAndShape().Shape.Select(d => (int)d).ToArray()), StringComparer.Ordinal);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    [Fact]
    public void WireEncodingMatchesTheProtobufSpecExamples()
    {
        // protobuf.dev encoding guide: 150 in field 1 is 08 96 01; 300 as a varint is ac 02.
        var w = new ProtoWriter();
        w.Int64(1, 150);
        Assert.Equal(new byte[] { 0x08, 0x96, 0x01 }, w.ToArray());
        w = new ProtoWriter();
        w.Varint(300);
        Assert.Equal(new byte[] { 0xAC, 0x02 }, w.ToArray());
        // -1 as int64 is ten bytes of two's complement; a float is fixed32 little-endian (1.0f = 00 00 80 3f).
        w = new ProtoWriter();
        w.Int64(3, -1);
        w.Float(2, 1f);
        w.String(4, "Conv");
        Assert.Equal(new byte[] { 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x15, 0x00, 0x00, 0x80, 0x3F, 0x22, 0x04, (byte)'C', (byte)'o', (byte)'n', (byte)'v' }, w.ToArray());
        var r = new ProtoReader(w.ToArray());
        Assert.Equal((3, WireType.Varint), r.Key());
        Assert.Equal(-1L, r.Int64());
        Assert.Equal((2, WireType.Fixed32), r.Key());
        Assert.Equal(1f, r.Float());
        Assert.Equal((4, WireType.LengthDelimited), r.Key());
        Assert.Equal("Conv", r.String());
        Assert.True(r.End);
    }

    [Fact]
    public void TruncatedInputNamesTheProblem()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxFile.Parse([0x3A, 0x10, 0x01]));   // graph field claiming 16 bytes, 1 present
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void ReadsAModelWrittenByTheOnnxPackage()
    {
        var model = OnnxFile.Load(Fixture("helper_model.onnx"));
        Assert.Equal(7, model.IrVersion);
        Assert.Equal([new OnnxOpset("", 13)], model.Opsets);
        Assert.Equal("onnx.helper", model.ProducerName);
        Assert.Equal(["Sub", "Transpose", "Conv", "Relu", "Conv", "Sigmoid", "ReduceMean", "Gemm", "Softmax"], model.Graph.Nodes.Select(n => n.OpType));
        var input = Assert.Single(model.Graph.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(["batch", "frames", "3"], input.Shape.Select(d => d.ToString()));
        var conv = model.Graph.Nodes[2];
        Assert.Equal([2L, 0L], conv.Ints("pads"));
        Assert.Equal(2, conv.Ints("strides")![0]);
        Assert.Equal(0.5f, model.Graph.Nodes[7].Float("alpha", 1f));
        var w1 = model.Graph.Initializers.Single(t => t.Name == "w1");    // stored as float_data, the others as raw_data
        Assert.Equal([4L, 3L, 3L], w1.Dims);
        Assert.Equal(36, w1.FloatData.Length);
    }

    [Fact]
    public void OnnxRuntimeAgreesWithTheNumpyEvaluationOfTheOnnxPackagesModel()
    {
        var io = SafeTensors.Read(Fixture("helper_model_io.safetensors"));
        var outputs = RunInOnnxRuntime(File.ReadAllBytes(Fixture("helper_model.onnx")), new Dictionary<string, Tensor> { ["x"] = io["x"] });
        foreach (var name in new[] { "y", "p" })
        {
            Assert.Equal(io[name].Shape.ToArray(), outputs[name].Shape.ToArray());
            for (int i = 0; i < io[name].Length; i++) Assert.Equal(io[name].Data[i], outputs[name].Data[i], 1e-5f);
        }
    }

    [Fact]
    public void WriteThenReadKeepsEveryField()
    {
        var model = OnnxFile.Load(Fixture("helper_model.onnx"));
        var bytes = OnnxFile.Serialize(model);
        var again = OnnxFile.Parse(bytes);
        Assert.Equal(bytes, OnnxFile.Serialize(again));   // our encoding is a fixed point
        Assert.Equal(model.Graph.Nodes.Count, again.Graph.Nodes.Count);
        for (int i = 0; i < model.Graph.Initializers.Count; i++)
        {
            Assert.Equal(model.Graph.Initializers[i].Dims, again.Graph.Initializers[i].Dims);
            Assert.Equal(model.Graph.Initializers[i].FloatData, again.Graph.Initializers[i].FloatData);
        }
        var io = SafeTensors.Read(Fixture("helper_model_io.safetensors"));
        var y = RunInOnnxRuntime(bytes, new Dictionary<string, Tensor> { ["x"] = io["x"] })["y"];   // what we wrote runs
        for (int i = 0; i < y.Length; i++) Assert.Equal(io["y"].Data[i], y.Data[i], 1e-5f);
    }
}
