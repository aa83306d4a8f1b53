using System.Globalization;
using Sentire.Models.AudioTagging;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Bench;

/// <summary>
/// One training step (forward and backward of a mean-square loss on the pooled output) of two CLAP audio towers on a batch
/// of 32 windows of 2 s of 80-bin log-mel: the encoder of recipes/emotion-results.yaml (conv subsampling, 2 layers of
/// width 128, FFN 512, prosody channels) and a log-mel CNN of the AudioSet teacher's shape (EfficientAT mn04, 80 mel
/// bins, random weights, batch norm in training mode), the network of encoder.architecture mobilenet (MobileNetEncoder). Medians after one warm-up
/// step; process CPU time beside wall time.
/// usage: encoder-step [--runs R (5)] [--batch B (32)]
/// </summary>
public sealed class EncoderStepBench : IBenchmark
{
    public string Name => "encoder-step";
    public string Description => "training step of the results recipe's encoder and of a teacher-shaped CNN, 32 x 2 s windows";

    public int Run(string[] args)
    {
        int runs = 5, batch = 32;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--runs": runs = BenchKit.IntAfter(args, ref i); break;
                case "--batch": batch = BenchKit.IntAfter(args, ref i); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        const int frames = 200, mels = 80;   // 2 s of 10 ms frames
        var rng = new Generator(1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {Parallelism.MaxThreads}, batch {batch} x {frames} frames, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));

        var encoder = new LogMelEncoder(new LogMelEncoderConfig(mels, 4, 128, 4, 2, 512, 0.1f, MaxFrames: 64, Subsampling: Subsampling.Conv,
            ProsodyChannels: ProsodyChannels.Count), new Generator(2), new Generator(3));
        encoder.Train();
        var windows = Tensor.Normal(rng, 0, 1, batch, frames, mels + ProsodyChannels.Count);
        Report("results-recipe encoder", encoder.Parameters(), runs, () =>
        {
            var encoded = encoder.Encode(windows, null);
            return Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask);
        });

        var cnn = new EfficientAtModel(new EfficientAtConfig(MelBins: mels), new Generator(4));
        cnn.Train();
        var mel = Tensor.Normal(rng, 0, 1, batch, 1, mels, frames);
        Report("teacher-shaped CNN (mn04, 80 mel)", cnn.Parameters(), runs, () => cnn.Forward(mel).Embedding);
        return 0;
    }

    static void Report(string name, IEnumerable<Tensor> parameters, int runs, Func<Tensor> pooled)
    {
        var list = parameters.ToList();
        void Step()
        {
            var h = pooled();
            foreach (var p in list) p.ZeroGrad();
            (h * h).Mean().Backward();
        }
        Step();
        var (wall, cpu) = BenchKit.Time(runs, Step);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {list.Sum(p => p.Data.Length):N0} parameters, {BenchKit.Median(wall) / 1000:F2} s per step (cpu {BenchKit.Median(cpu) / 1000:F2} s)"));
    }
}
