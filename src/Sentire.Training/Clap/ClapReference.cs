using Sentire.Models.Clap;
using Sentire.Training.Data;
using Sentire.Training.Recipes;

namespace Sentire.Training.Clap;

/// <summary>
/// The reference embedding of a trained CLAP package (<see cref="ReferenceEmbedding"/>): the corpus-balanced mean clip
/// embedding of the clips its recipe trains on (the recipe's corpora, labels and split), which
/// <see cref="EmbeddingAlignment"/> moves a recording set-up's mean onto. Computed once after training, written beside
/// the weights; the clips come through the recipe's feature cache as in training.
/// </summary>
public static class ClapReference
{
    /// <summary>mu_ref of <paramref name="recognizer"/> over the training clips of <paramref name="recipe"/>.</summary>
    /// <param name="progress">clips embedded so far (of the training clips' count).</param>
    public static ReferenceEmbedding Compute(EmotionRecognizer recognizer, ClapRecipe recipe, string corporaRoot, IProgress<(int Done, int Total)>? progress = null)
    {
        var clips = ClapTrainer.LoadClips(recipe, corporaRoot);
        if (clips.Clips.Count > 0 && clips.Clips[0].LogMel.Columns != recognizer.Config.FrontEnd.Columns)
            throw new RecipeException($"the recipe's front end makes {clips.Clips[0].LogMel.Columns} feature columns, the model {recognizer.Name} reads {recognizer.Config.FrontEnd.Columns}: give the recipe it was trained with");
        var split = ClapTrainer.Split(clips.Clips.Select(c => c.Utterance).ToList(), recipe.Data.Validation, recipe.Seed);
        var train = clips.Subset(split.Train).Clips;
        if (train.Count == 0) throw new RecipeException($"the split '{split.Name}' leaves no training clips with the recipe's labels");
        var embeddings = new float[train.Count][];
        int done = 0;
        Parallel.For(0, train.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            embeddings[i] = recognizer.EmbedFeatures(train[i].LogMel).Data.ToArray();
            progress?.Report((Interlocked.Increment(ref done), train.Count));
        });
        var byCorpus = train.Select((c, i) => (c.Utterance.Corpus, Embedding: embeddings[i])).GroupBy(x => x.Corpus, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<float[]>)g.Select(x => x.Embedding).ToList(), StringComparer.Ordinal);
        return ReferenceEmbedding.FromCorpora(byCorpus);
    }
}
