using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Training.Clap;
using Sentire.Training.Losses;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests;

public sealed class ClapTrainingTests
{
    static ClapModel Small(ulong seed)
    {
        var audio = new LogMelEncoder(new LogMelEncoderConfig(NMels: 8, StackFrames: 2, HiddenSize: 16, Heads: 2, Layers: 2, FfnSize: 32, Dropout: 0f, MaxFrames: 64), new Generator(seed + 100), new Generator(seed));
        var text = new TextEncoder(new TextEncoderConfig(VocabSize: 20, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxTokens: 8), new Generator(seed + 200), new Generator(seed + 1));
        return new ClapModel(audio, text, new ClapHeadConfig(ProjectionSize: 12), new Generator(seed + 2));
    }

    [Fact]
    public void EncoderLearningRateScaleSlowsTheAudioEncoderOnlyThroughTheSchedule()
    {
        var model = Small(4);
        var encoder = ((Sentire.Tensors.Nn.Module)model.AudioEncoder).Parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        var trainable = model.Parameters().Where(p => p.RequiresGrad).ToList();
        var optimizer = new Sentire.Tensors.Optim.AdamW(ClapTrainer.ClapStageGroups(model, model, new ClapOptimRecipe { LearningRate = 2e-3, EncoderLearningRateScale = 0.1 }), 2e-3);
        optimizer.SetLearningRateFactor(0.5);                                                   // half-way down a schedule
        var rate = new Dictionary<Tensor, double>(ReferenceEqualityComparer.Instance);
        foreach (var g in optimizer.Groups) foreach (var (_, p) in g.Parameters) rate.Add(p, g.LearningRate);   // Add: each parameter once
        Assert.Equal(trainable.Count, rate.Count);
        Assert.Contains(trainable, p => !encoder.Contains(p));
        foreach (var p in trainable) Assert.Equal(encoder.Contains(p) ? 1e-4 : 1e-3, rate[p], 12);
        // Scale 1: the plain split, two groups at the one rate.
        var plain = new Sentire.Tensors.Optim.AdamW(ClapTrainer.ClapStageGroups(model, model, new ClapOptimRecipe { LearningRate = 2e-3 }), 2e-3);
        Assert.Equal(2, plain.Groups.Count);
        Assert.All(plain.Groups, g => Assert.Equal(2e-3, g.LearningRate, 12));
    }

    [Fact]
    public void ContrastiveTrainingSeparatesTwoSyntheticEmotions()
    {
        // Two "emotions" differ in the mean of their log-mel frames; after a few AdamW steps on the Emo-CLAP
        // objective the model ranks each clip's own prompt first.
        var model = Small(3);
        var rng = new Generator(9);
        var optimizer = new Sentire.Tensors.Optim.AdamW(model.NamedParameters().Where(kv => kv.Value.RequiresGrad), learningRate: 3e-3);
        int[][] prompts = [[1, 3, 4], [1, 3, 5]];                         // "the emotion is X" with X = 4 or 5
        Tensor Batch(out int[] labels)
        {
            labels = new int[8];
            var x = Tensor.Normal(rng, 0, 1, 8, 6, 8);
            for (int i = 0; i < 8; i++)
            {
                labels[i] = i % 2;
                var row = x.Data.Slice(i * 48, 48);
                for (int j = 0; j < 48; j++) row[j] += labels[i] == 0 ? -1.5f : 1.5f;
            }
            return x;
        }
        for (int step = 0; step < 60; step++)
        {
            var x = Batch(out var labels);
            var audio = model.EmbedAudio(x, null);
            var text = model.EmbedText(labels.Select(l => prompts[l]).ToArray());
            var targets = EmoClapLoss.EqualityTargets(labels);
            var loss = EmoClapLoss.Compute(audio, text, model.LogitScaleAudio, model.LogitScaleText, targets);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        model.Eval();
        using var _ = Autograd.NoGrad();
        var test = Batch(out var truth);
        var p = model.ZeroShot(model.EmbedAudio(test, null), model.EmbedText(prompts));
        for (int i = 0; i < 8; i++) Assert.True(p[i, truth[i]] > 0.5f, $"clip {i}: p(true) = {p[i, truth[i]]}");
    }
}
