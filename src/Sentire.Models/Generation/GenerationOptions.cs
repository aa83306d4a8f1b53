namespace Sentire.Models.Generation;

/// <summary>
/// How <see cref="TextGenerator"/> picks tokens, with the meanings of transformers' GenerationConfig:
/// greedy when <see cref="Temperature"/> is 0 and <see cref="BeamSize"/> 1, beam search when BeamSize &gt; 1,
/// otherwise sampling from softmax(logits / T) restricted by <see cref="TopK"/> and <see cref="TopP"/>.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>New tokens per row at most.</summary>
    public int MaxNewTokens { get; init; } = 32;
    /// <summary>0 = greedy (or beam search); &gt; 0 samples from softmax(logits / Temperature).</summary>
    public float Temperature { get; init; }
    /// <summary>Nucleus sampling (Holtzman et al. 2020): the most probable tokens whose mass reaches TopP; 1 = off.</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Sample among the K most probable tokens; 0 = off.</summary>
    public int TopK { get; init; }
    /// <summary>Seed of the sampler: the same seed, inputs and options give the same tokens.</summary>
    public ulong Seed { get; init; }
    /// <summary>CTRL's penalty (Keskar et al. 2019) on tokens already generated: positive logits divided by it, negative multiplied; 1 = off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Beams per row; 1 = no beam search.</summary>
    public int BeamSize { get; init; } = 1;
    /// <summary>Finished beams score sum(log p) / length^LengthPenalty (length counts the new tokens with the EOS).</summary>
    public float LengthPenalty { get; init; } = 1f;
    /// <summary>Tokens that end a row; null = the model config's eos_token_id.</summary>
    public int[]? EosTokenIds { get; init; }
    /// <summary>Stop a row at its first EOS (which is not returned); false generates MaxNewTokens and keeps EOS tokens.</summary>
    public bool StopOnEos { get; init; } = true;
    /// <summary>Reuse keys and values through a KV cache (true) or recompute the whole sequence each step (same tokens, slower).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>Constraints on each row's next token (transformers' LogitsProcessorList), applied in order after the
    /// repetition penalty and before temperature, top-k and top-p; empty = none.</summary>
    public IReadOnlyList<ILogitsProcessor> Processors { get; init; } = [];

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), $"MaxNewTokens must be >= 0, found {MaxNewTokens}");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"Temperature must be finite and >= 0, found {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), $"TopP must be in (0, 1], found {TopP}");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), $"TopK must be >= 0, found {TopK}");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), $"RepetitionPenalty must be > 0, found {RepetitionPenalty}");
        if (BeamSize < 1) throw new ArgumentOutOfRangeException(nameof(BeamSize), $"BeamSize must be >= 1, found {BeamSize}");
        if (BeamSize > 1 && Temperature > 0)
            throw new ArgumentException($"beam search with sampling is not supported: set Temperature = 0 with BeamSize = {BeamSize}, or BeamSize = 1 to sample");
    }
}
