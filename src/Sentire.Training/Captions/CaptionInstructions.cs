using Sentire.Tensors;

namespace Sentire.Training.Captions;

/// <summary>
/// The instruction prompts of SECap's stage 2 and inference: 30 paraphrases per language of "describe the speaker's
/// emotion in one sentence", one drawn at random per training step so the Q-Former does not overfit one wording.
/// The Chinese list says the same things in Chinese. Index 0 is the wording used at inference.
/// </summary>
public static class CaptionInstructions
{
    public static IReadOnlyList<string> English { get; } =
    [
        "Describe the speaker's emotion in one sentence.",
        "In one sentence, describe the emotion of the speaker.",
        "How does the speaker feel? Answer in one sentence.",
        "Describe how the speaker sounds emotionally.",
        "Write one sentence about the emotion in this voice.",
        "What emotion does the speaker express? Describe it briefly.",
        "Give a one-sentence description of the speaker's emotional state.",
        "Describe the feeling conveyed by the speaker's voice.",
        "Summarise the speaker's emotion in a single sentence.",
        "Tell me in one sentence how the speaker is feeling.",
        "Describe the emotional tone of this speech.",
        "What is the mood of the speaker? Use one sentence.",
        "Characterise the speaker's emotion in one sentence.",
        "Describe the emotion you hear in the speaker's voice.",
        "In a single sentence, say what emotion the voice carries.",
        "Describe the speaker's feelings and way of speaking in one sentence.",
        "Write a short caption describing the speaker's emotion.",
        "Caption the emotion of this utterance in one sentence.",
        "How would you describe the speaker's emotional state?",
        "Describe, in one sentence, the emotion behind these words.",
        "What feeling comes through in the speaker's voice?",
        "Briefly describe the emotion and tone of the speaker.",
        "Explain in one sentence how the speaker sounds.",
        "Describe the speaker's affect in one sentence.",
        "Give a short description of the emotion in this recording.",
        "In one sentence, what does the speaker's voice reveal about their emotion?",
        "Describe the emotional expression of the speaker.",
        "State the speaker's emotion and how it is expressed, in one sentence.",
        "Provide a one-sentence emotion caption for this speech.",
        "Describe the speaker's emotion concisely.",
    ];

    public static IReadOnlyList<string> Chinese { get; } =
    [
        "请用一句话描述说话人的情感。",
        "用一句话描述说话人的情绪。",
        "说话人的感受如何？请用一句话回答。",
        "描述一下说话人在情感上听起来怎么样。",
        "用一句话写出这段语音中的情感。",
        "说话人表达了什么情感？请简要描述。",
        "请用一句话描述说话人的情绪状态。",
        "描述说话人的声音所传达的感受。",
        "请用一句话概括说话人的情感。",
        "用一句话告诉我说话人的心情。",
        "描述这段语音的情感基调。",
        "说话人的心情如何？请用一句话说明。",
        "请用一句话刻画说话人的情感。",
        "描述你在说话人声音中听到的情感。",
        "用一句话说出这个声音带有什么情绪。",
        "用一句话描述说话人的感受和说话方式。",
        "写一个简短的描述，说明说话人的情感。",
        "用一句话为这段话的情感写一个描述。",
        "你会如何描述说话人的情绪状态？",
        "请用一句话描述这些话背后的情感。",
        "说话人的声音中流露出什么感受？",
        "简要描述说话人的情感和语气。",
        "用一句话说明说话人听起来怎么样。",
        "请用一句话描述说话人的情感表现。",
        "简短描述这段录音中的情感。",
        "用一句话说说说话人的声音透露出怎样的情绪。",
        "描述说话人的情感表达。",
        "用一句话说明说话人的情感以及表达方式。",
        "为这段语音提供一句话的情感描述。",
        "请简洁地描述说话人的情感。",
    ];

    /// <summary>The list of a language code ("en" or "zh").</summary>
    public static IReadOnlyList<string> For(string language) => language switch
    {
        "en" => English,
        "zh" => Chinese,
        _ => throw new ArgumentException($"caption language '{language}' is not 'en' or 'zh'"),
    };

    /// <summary>One instruction drawn uniformly (stage 2 training).</summary>
    public static string Draw(string language, Generator rng)
    {
        var list = For(language);
        return list[rng.NextInt(list.Count)];
    }
}
