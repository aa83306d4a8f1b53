using Sentire.Text;

namespace Sentire.Models.HuggingFace.Text;

/// <summary>
/// RoBERTa (Liu et al., 2019): BERT's network (same parameter names) trained differently, whose learned positions
/// start after the padding index: p_t = padding_idx + (number of real tokens up to and including t) for real tokens
/// and padding_idx for padding (transformers' create_position_ids_from_input_ids), so max_position_embeddings
/// counts padding_idx + 1 unused rows. XLM-RoBERTa and CamemBERT checkpoints have the same layout.
/// </summary>
public sealed class RobertaModel(BertConfig config, bool addPoolingLayer) : BertModel(config, addPoolingLayer)
{
    public override int MaxTokens => Config.MaxPositions - Config.PadTokenId - 1;

    protected override int[] PositionIds(TokenBatch batch)
    {
        var ids = new int[batch.Ids.Length];
        for (int row = 0; row < batch.Batch; row++)
        {
            int count = 0;
            for (int j = 0; j < batch.Length; j++)
            {
                int at = row * batch.Length + j;
                bool real = batch.Ids[at] != Config.PadTokenId;
                if (real) count++;
                ids[at] = real ? Config.PadTokenId + count : Config.PadTokenId;
            }
        }
        return ids;
    }
}
