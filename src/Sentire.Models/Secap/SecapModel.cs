using System.Text.Json.Serialization;
using Sentire.IO;
using Sentire.Models.Decoders;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Secap;

/// <summary>What precedes the instruction in the LM input (SECap Table 2): the projected Q-Embedding (the default),
/// the projected T-Embedding of the transcript, the raw transcript tokens, or a transcript form followed by Q. Recipes
/// (stage2.input_modality) and a captioner's config.json spell it q, t, transcript, transcript+q, t+q.</summary>
[JsonConverter(typeof(OptionNamesJsonConverter))]
public enum SecapInputModality { Q, T, Transcript, [JsonStringEnumMemberName("transcript+q")] TranscriptQ, [JsonStringEnumMemberName("t+q")] TQ }

/// <summary>One piece of an LM input row: token ids (embedded by the LM) or ready embeddings (1, n, D_lm).</summary>
public sealed record InputSegment(int[]? Ids, Tensor? Embeds)
{
    public static InputSegment Tokens(int[] ids) => new(ids, null);
    public static InputSegment Embedding(Tensor embeds) => new(null, embeds);
}

/// <summary>
/// SECap's trainable Bridge-Net: the Q-Former and the linear projection of its output into the LM's input space,
/// L-Embedding = W Q-Embedding + b (B, n_q, D_lm). The LM input is BOS, the projected embedding, the instruction and
/// (when training) the caption, eq. 7; rows are left-padded as the decoder expects.
/// </summary>
public sealed class SecapModel : Module
{
    public QFormer QFormer { get; }
    public Linear LlmProjection { get; }

    public SecapModel(QFormerConfig qformer, int lmHiddenSize, Generator rngForDropout, Generator? rngForInit)
    {
        QFormer = RegisterModule("qformer", new QFormer(qformer, rngForDropout, rngForInit));
        LlmProjection = RegisterModule("llm_proj", new Linear(qformer.HiddenSize, lmHiddenSize, rngForInit));
    }

    public static bool NeedsSpeech(SecapInputModality m) => m is SecapInputModality.Q or SecapInputModality.TranscriptQ or SecapInputModality.TQ;
    public static bool NeedsTranscript(SecapInputModality m) => m is not SecapInputModality.Q;

    /// <summary>L-Embedding (B, n_q, D_lm) of speech frames (B, S, C).</summary>
    public Tensor LEmbedding(Tensor frames, Tensor? mask) => LlmProjection.Forward(QFormer.EncodeSpeech(frames, mask));

    /// <summary>Projected T-Embedding (1, T, D_lm) of one transcript's token ids (BOS ... EOS).</summary>
    public Tensor ProjectedTranscript(int[] ids) => LlmProjection.Forward(QFormer.EncodeText([ids], out _));

    /// <summary>Per-row segments before the instruction, for <paramref name="modality"/>; row i uses lEmbedding[i] and
    /// transcripts[i] (raw transcript ids without BOS/EOS; the T-Embedding gets BOS/EOS added).</summary>
    public IReadOnlyList<InputSegment>[] Prefixes(SecapInputModality modality, int bosId, int eosId, Tensor? lEmbedding, IReadOnlyList<int[]>? transcripts, int rows)
    {
        var result = new IReadOnlyList<InputSegment>[rows];
        for (int i = 0; i < rows; i++)
        {
            var segments = new List<InputSegment> { InputSegment.Tokens([bosId]) };
            var transcript = transcripts?[i] ?? [];
            if (modality is SecapInputModality.Transcript or SecapInputModality.TranscriptQ && transcript.Length > 0)
                segments.Add(InputSegment.Tokens(transcript));
            if (modality is SecapInputModality.T or SecapInputModality.TQ)
                segments.Add(InputSegment.Embedding(ProjectedTranscript([bosId, .. transcript, eosId])));
            if (NeedsSpeech(modality))
            {
                if (lEmbedding is null) throw new ArgumentException($"modality {modality} needs speech frames");
                segments.Add(InputSegment.Embedding(lEmbedding.Narrow(0, i, 1)));
            }
            result[i] = segments;
        }
        return result;
    }

    /// <summary>The generation prompt (1, T, D_lm) and mask of one clip: BOS, the modality's prefix, the instruction.</summary>
    public (Tensor Embeds, Tensor Mask) Prompt(LlamaForCausalLM lm, CaptionTokenizer tokenizer, SecapInputModality modality,
        Audio.Dsp.FeatureMatrix? frames, string instruction, string? transcript)
    {
        Tensor? l = null;
        if (NeedsSpeech(modality))
        {
            if (frames is null) throw new ArgumentException($"modality {modality} needs speech frames");
            var (f, m) = SecapSpeechFrames.Batch([frames]);
            l = LEmbedding(f, m);
        }
        var transcriptIds = transcript is null ? null : new[] { tokenizer.Encode(transcript) };
        var rows = Prefixes(modality, tokenizer.BosId, tokenizer.EosId, l, transcriptIds, 1);
        var (embeds, mask, _) = Assemble(lm, [[.. rows[0], InputSegment.Tokens(tokenizer.Encode(instruction))]]);
        return (embeds, mask);
    }

    /// <summary>Concatenates each row's segments and left-pads the rows: embeddings (B, T, D_lm) and mask (B, T).</summary>
    public static (Tensor Embeds, Tensor Mask, int[] Lengths) Assemble(LlamaForCausalLM lm, IReadOnlyList<IReadOnlyList<InputSegment>> rows)
    {
        var pieces = rows.Select(row => row.Where(s => s.Embeds is not null || s.Ids!.Length > 0)
            .Select(s => s.Embeds ?? lm.EmbedTokens([s.Ids!])).ToList()).ToList();
        var lengths = pieces.Select(p => p.Sum(t => t.Dim(1))).ToArray();
        int b = rows.Count, t = lengths.Max();
        var mask = Tensor.Zeros(b, t);
        var padded = new List<Tensor>(b);
        for (int i = 0; i < b; i++)
        {
            var row = pieces[i].Count == 1 ? pieces[i][0] : Tensor.Concat(pieces[i], 1);                // (1, L_i, D)
            padded.Add(lengths[i] == t ? row : row.Pad([0, 0, t - lengths[i], 0]));
            mask.Data.Slice(i * t + t - lengths[i], lengths[i]).Fill(1f);
        }
        return (b == 1 ? padded[0] : Tensor.Concat(padded, 0), mask, lengths);
    }
}
