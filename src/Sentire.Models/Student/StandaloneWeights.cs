using System.Text;
using Sentire.IO;

namespace Sentire.Models.Student;

/// <summary>
/// The single weights file read by export/standalone/TinyEmotionStudent.cs (no engine, no JSON): little-endian
/// "SENTSTUD", int32 version 1, the front end (sample rate, n_fft, hop, n_mels: int32; log floor: float32), the sizes
/// (channels, stem kernel, stem stride, block kernel, block count, one dilation per block, categories, dimensions:
/// int32), the labels (int32 count, then int32 byte length + UTF-8 each), then float32 tensors in state-dict order:
/// feature_mean, feature_std, stem.weight, stem.bias, per block depthwise.weight, depthwise.bias, pointwise.weight,
/// pointwise.bias, category_head.weight, category_head.bias, dimension_head.weight, dimension_head.bias.
/// </summary>
public static class StandaloneWeights
{
    public const string Magic = "SENTSTUD";
    public const int Version = 1;

    public static void Write(string path, StudentModelConfig config, TinyStudent model)
    {
        var c = model.Config;
        var f = config.FrontEnd;
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(Version);
            foreach (var v in new[] { f.SampleRate, f.NFft, f.HopLength, f.NMels }) w.Write(v);
            w.Write(f.LogFloor);
            foreach (var v in new[] { c.Channels, c.StemKernel, c.StemStride, c.BlockKernel, c.BlockDilations.Count }) w.Write(v);
            foreach (var d in c.BlockDilations) w.Write(d);
            w.Write(c.Categories);
            w.Write(c.Dimensions);
            w.Write(config.Labels.Count);
            foreach (var label in config.Labels)
            {
                var bytes = Encoding.UTF8.GetBytes(label);
                w.Write(bytes.Length);
                w.Write(bytes);
            }
            var tensors = new List<Tensors.Tensor> { model.FeatureMean, model.FeatureStd, model.Stem.Weight, model.Stem.Bias! };
            foreach (var block in model.Blocks) tensors.AddRange([block.Depthwise.Weight, block.Depthwise.Bias!, block.Pointwise.Weight, block.Pointwise.Bias!]);
            tensors.AddRange([model.CategoryHead.Weight, model.CategoryHead.Bias!, model.DimensionHead.Weight, model.DimensionHead.Bias!]);
            foreach (var t in tensors)
                foreach (var v in t.Data) w.Write(v);
        }
        var data = stream.ToArray();
        AtomicFile.Write(path, s => s.Write(data));
    }
}
