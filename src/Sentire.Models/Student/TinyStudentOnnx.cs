using System.Globalization;
using Sentire.Tensors.Onnx;

namespace Sentire.Models.Student;

/// <summary>
/// <see cref="TinyStudent"/> as an ONNX graph (opset 13, IR version 7): input <c>log_mel</c> (batch, frames, n_mels),
/// the output of the package's log-mel front end (documented in the model metadata); outputs <c>logits</c>,
/// <c>probabilities</c> (softmax) and <c>dimensions</c> (sigmoid). Every node is a standard ai.onnx operator:
/// Sub, Div, Transpose, Conv, Relu, Add, ReduceMean, Gemm, Softmax, Sigmoid.
/// </summary>
public static class TinyStudentOnnx
{
    public const long Opset = 13, IrVersion = 7;

    public static OnnxModel Export(StudentModelConfig config, TinyStudent model)
    {
        var c = model.Config;
        var nodes = new List<OnnxNode>();
        var weights = model.StateDict().Select(kv => OnnxTensor.FromTensor(kv.Key, kv.Value)).ToList();
        int counter = 0;
        string Node(string op, string[] inputs, params OnnxAttribute[] attributes)
        {
            string output = $"{op.ToLowerInvariant()}_{counter++}";
            nodes.Add(new OnnxNode(op, inputs, [output], attributes, Name: output));
            return output;
        }
        string Conv(string x, string prefix, Tensors.Nn.Conv1d conv) => Node("Conv", [x, prefix + ".weight", prefix + ".bias"],
            OnnxAttribute.IntList("kernel_shape", conv.KernelSize), OnnxAttribute.IntList("strides", conv.Stride),
            OnnxAttribute.IntList("pads", conv.Padding, conv.Padding), OnnxAttribute.IntList("dilations", conv.Dilation), OnnxAttribute.Int("group", conv.Groups));

        // x = (mel - mu) / sigma, (B, T, M) -> (B, M, T)
        var x = Node("Sub", ["log_mel", "feature_mean"]);
        x = Node("Div", [x, "feature_std"]);
        x = Node("Transpose", [x], OnnxAttribute.IntList("perm", 0, 2, 1));
        var h = Node("Relu", [Conv(x, "stem", model.Stem)]);                                         // (B, C, T')
        for (int i = 0; i < model.Blocks.Count; i++)
        {
            var block = model.Blocks[i];
            var y = Node("Relu", [Conv(h, $"blocks.{i}.depthwise", block.Depthwise)]);
            y = Node("Relu", [Conv(y, $"blocks.{i}.pointwise", block.Pointwise)]);
            h = Node("Add", [h, y]);
        }
        var z = Node("ReduceMean", [h], OnnxAttribute.IntList("axes", 2), OnnxAttribute.Int("keepdims", 0));   // (B, C)
        nodes.Add(new OnnxNode("Gemm", [z, "category_head.weight", "category_head.bias"], ["logits"], [OnnxAttribute.Int("transB", 1)], "category_head"));
        nodes.Add(new OnnxNode("Softmax", ["logits"], ["probabilities"], [OnnxAttribute.Int("axis", -1)], "softmax"));
        var d = Node("Gemm", [z, "dimension_head.weight", "dimension_head.bias"], OnnxAttribute.Int("transB", 1));
        nodes.Add(new OnnxNode("Sigmoid", [d], ["dimensions"], [], "dimension_sigmoid"));

        OnnxDim Batch() => new(null, "batch");
        var graph = new OnnxGraph(config.Name, nodes, weights,
            [new OnnxValueInfo("log_mel", OnnxDataType.Float, [Batch(), new OnnxDim(null, "frames"), new OnnxDim(c.NMels)])],
            [
                new OnnxValueInfo("logits", OnnxDataType.Float, [Batch(), new OnnxDim(c.Categories)]),
                new OnnxValueInfo("probabilities", OnnxDataType.Float, [Batch(), new OnnxDim(c.Categories)]),
                new OnnxValueInfo("dimensions", OnnxDataType.Float, [Batch(), new OnnxDim(c.Dimensions)]),
            ],
            "Input: log-mel frames of 16 kHz mono audio; see metadata front_end.");
        var f = config.FrontEnd;
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["labels"] = string.Join(",", config.Labels),
            ["dimension_names"] = string.Join(",", config.DimensionNames),
            ["dimensions_trained"] = config.DimensionsTrained ? "true" : "false",
            ["front_end"] = string.Create(inv, $"sample_rate={f.SampleRate} n_fft={f.NFft} win_length={f.NFft} hop_length={f.HopLength} window=hann(periodic) center=true pad_mode=reflect power=2 n_mels={f.NMels} mel_scale=htk f_min=0 f_max={f.SampleRate / 2} norm=none log=ln(x+{f.LogFloor.ToString("G", inv)})"),
            ["teacher"] = $"{config.Teacher} ({config.TeacherHash})",
        };
        return new OnnxModel(IrVersion, [new OnnxOpset("", Opset)], "sentire", typeof(TinyStudentOnnx).Assembly.GetName().Version?.ToString() ?? "0", graph, metadata,
            $"{config.Name}: tiny speech-emotion student (Wav2Small-style distillation).");
    }
}
