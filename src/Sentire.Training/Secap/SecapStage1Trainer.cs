using Sentire.Audio.Dsp;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Text;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>The trainable parts of stage 1, saved together in the checkpoint.</summary>
public sealed class SecapStage1Model : Module
{
    public QFormer QFormer { get; }
    public VClubEstimator Club { get; }

    public SecapStage1Model(QFormer qformer, VClubEstimator club)
    {
        QFormer = RegisterModule("qformer", qformer);
        Club = RegisterModule("club", club);
    }
}

/// <summary>
/// SECap stage 1 (eq. 6), speech encoder frozen: L_T1 = w_T1 U + w_T2 L_SCCL.
///  - STMIL (eq. 4): U, the vCLUB upper bound of I(Q; T) between the pooled Q-Embedding (x) and the pooled T-Embedding of
///    the clip's transcript (y, detached so only the speech side moves), over the batch rows that have a transcript;
///    q(y|x) is first fitted on the same rows in its own optimiser step.
///  - SCCL (eq. 5): pooled Q-Embedding against pooled C-Embeddings of the captions, in batches of N categories x K clips
///    (English: the corpus emotion label; Chinese: the caption-keyword category of <see cref="ChineseCaptionCategories"/>;
///    categories are kept apart per language).
/// Writes stage1/checkpoint.safetensors (resumable per epoch), stage1/metrics.csv and stage1/qformer.safetensors.
/// </summary>
public sealed class SecapStage1Trainer(SecapRecipe recipe, string recipeText, SecapContext context, string folder)
{
    public const string QFormerFile = "qformer.safetensors";

    public static QFormerConfig QFormerConfigOf(SecapRecipe recipe, int vocabSize, int encoderHidden) => new(vocabSize, recipe.Qformer.NumQueryTokens,
        recipe.Qformer.HiddenSize, recipe.Qformer.Heads, recipe.Qformer.Layers, recipe.Qformer.IntermediateSize, recipe.Qformer.CrossAttentionFrequency,
        encoderHidden, recipe.Qformer.MaxTokens, recipe.Qformer.Dropout);

    public void Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var s1 = recipe.Stage1;
        var train = context.Clips.Where(c => c.Split == CaptionDataset.Train).ToList();
        var valid = context.Clips.Where(c => c.Split == CaptionDataset.Valid).ToList();
        var categoryIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int CategoryOf(CaptionClip c) => categoryIds.TryGetValue(c.Language + ":" + c.Category, out int id) ? id : categoryIds[c.Language + ":" + c.Category] = categoryIds.Count;
        var trainCategories = train.Select(CategoryOf).ToArray();
        var validCategories = valid.Select(CategoryOf).ToArray();

        var qformer = new QFormer(QFormerConfigOf(recipe, context.Tokenizer.VocabSize, context.EncoderHiddenSize), new Generator(recipe.Seed + 1), new Generator(recipe.Seed));
        var (mean, std) = context.FrameStatistics(train);
        qformer.SetSpeechStatistics(mean, std);
        var initialisation = QFormerInitialisation.Apply(qformer, recipe.Qformer.InitialiseFrom);
        var model = new SecapStage1Model(qformer, new VClubEstimator(recipe.Qformer.HiddenSize, recipe.Qformer.HiddenSize, s1.ClubHiddenSize, new Generator(recipe.Seed + 2)));
        var clubOptimizer = new AdamW(model.Club.NamedParameters(), s1.ClubLearningRate, weightDecay: 0);
        progress?.Report(new TrainingProgress($"Q-Former: {initialisation}", 0, s1.Epochs, 0, s1.StepsPerEpoch, 0, 0));
        var loss = new SpeechCaptionContrastiveLoss(s1.ScclW1, s1.ScclW2, s1.ScclW3, s1.ScclMargin);

        IEnumerator<int[]>? batches = null;
        double sumU = 0, sumSccl = 0;
        new TrainingLoop
        {
            Folder = folder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = model,
            Optimizer = new AdamW(ParamGroup.SplitWeightDecay(qformer.NamedParameters(), s1.WeightDecay), s1.LearningRate),   // vCLUB's q(y|x) has its own
            Schedule = new LrSchedule(s1.LearningRate, s1.Warmup, Math.Max(1, s1.TotalSteps), LrDecay.Cosine, s1.MinLearningRateOrDefault),
            Epochs = s1.Epochs,
            StepsPerEpoch = s1.StepsPerEpoch,
            GradClip = s1.GradClip,
            ClippedParameters = [.. qformer.Parameters()],
            Columns = ["train_stmil_u", "train_sccl", "valid_stmil_u", "valid_sccl"],
            BeginEpoch = (_, rng) =>
            {
                batches?.Dispose();
                batches = Batches(trainCategories, rng).GetEnumerator();
                sumU = sumSccl = 0;
            },
            Step = (rng, _) =>
            {
                batches!.MoveNext();
                var picks = batches.Current;
                var (total, u, sccl) = Objective(model, loss, picks.Select(i => train[i]).ToList(), picks.Select(i => trainCategories[i]).ToList(), rng, clubOptimizer, training: true);
                sumU += u; sumSccl += sccl;
                return total;
            },
            Validate = end =>
            {
                double vU = 0, vSccl = 0;
                int vBatches = 0;
                using (Autograd.NoGrad())
                    foreach (var picks in SpeechCaptionContrastiveLoss.Batches(validCategories, s1.Categories, s1.SamplesPerCategory, new Generator(recipe.Seed)))
                    {
                        var (_, u, sccl) = Objective(model, loss, picks.Select(i => valid[i]).ToList(), picks.Select(i => validCategories[i]).ToList(), new Generator(recipe.Seed), null, training: false);
                        vU += u; vSccl += sccl; vBatches++;
                    }
                int n = s1.StepsPerEpoch, v = Math.Max(1, vBatches);
                return new EpochReport([sumU / n, sumSccl / n, vU / v, vSccl / v], new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/sccl"] = vSccl / v },
                    $"stage 1 epoch {end.Epoch}: loss {end.TrainLoss:F4} (U {sumU / n:F4}, SCCL {sumSccl / n:F4}); valid U {vU / v:F4}, SCCL {vSccl / v:F4}");
            },
        }.Run(progress, cancel);
        batches?.Dispose();
        SafeTensors.Write(Path.Combine(folder, QFormerFile), qformer.StateDict(), new Dictionary<string, string> { ["format"] = "sentire-secap-qformer" });
    }

    /// <summary>Endless N x K category-balanced batches (a new pass over the shuffled pools when one runs dry).</summary>
    IEnumerable<int[]> Batches(int[] categories, Generator rng)
    {
        while (true)
        {
            bool any = false;
            foreach (var b in SpeechCaptionContrastiveLoss.Batches(categories, recipe.Stage1.Categories, recipe.Stage1.SamplesPerCategory, rng)) { any = true; yield return b; }
            if (!any) throw new InvalidOperationException($"no {recipe.Stage1.Categories} categories hold {recipe.Stage1.SamplesPerCategory} training clips each");
        }
    }

    /// <summary>Eq. 6 on one batch (<see cref="SecapObjectives.Stage1"/>) with eq. 4's U and eq. 5's L_SCCL, and their values;
    /// fits q(y|x) first when <paramref name="clubOptimizer"/> is given.</summary>
    (Tensor Total, double U, double Sccl) Objective(SecapStage1Model model, SpeechCaptionContrastiveLoss sccl, IReadOnlyList<CaptionClip> clips,
        IReadOnlyList<int> categories, Generator rng, AdamW? clubOptimizer, bool training)
    {
        var s1 = recipe.Stage1;
        var (frames, mask) = SecapSpeechFrames.Batch(clips.Select(c => context.Frames[c.Id]).ToList());
        var q = QFormer.PoolQueries(model.QFormer.EncodeSpeech(frames, mask));                     // (B, d_q)
        Tensor? lSccl = null, u = null;
        if (s1.ScclWeight > 0)
        {
            var captions = clips.Select(c => context.Encode(c.TrainingCaptions[training ? rng.NextInt(c.TrainingCaptions.Count) : 0], recipe.Qformer.MaxTokens)).ToArray();
            var cEmbedding = QFormer.PoolText(model.QFormer.EncodeText(captions, out _));          // (B, d_q)
            lSccl = sccl.Compute(q, cEmbedding, categories);                                      // eq. 5
        }
        var withTranscript = Enumerable.Range(0, clips.Count).Where(i => !string.IsNullOrWhiteSpace(clips[i].Transcript)).ToArray();
        if (s1.StmilWeight > 0 && withTranscript.Length >= 2)
        {
            var x = q.IndexSelect(0, withTranscript);
            Tensor y;                                                                               // T-Embedding, detached: only the speech side moves
            using (Autograd.NoGrad())
                y = QFormer.PoolText(model.QFormer.EncodeText(withTranscript.Select(i => context.Encode(clips[i].Transcript!, recipe.Qformer.MaxTokens)).ToArray(), out _)).Detach();
            if (clubOptimizer is not null)
            {
                var (mu0, logVar0) = model.Club.Forward(x.Detach());
                var nll = VClub.NegativeLogLikelihood(mu0, logVar0, y);
                clubOptimizer.ZeroGrad();
                nll.Backward();
                clubOptimizer.Step();
            }
            var (mu, logVar) = model.Club.Forward(x);
            u = VClub.UpperBound(mu, logVar, y);                                                    // eq. 4
        }
        return (SecapObjectives.Stage1(u, lSccl, s1.StmilWeight, s1.ScclWeight), u?.Item() ?? 0, lSccl?.Item() ?? 0);
    }
}
