namespace Sentire.Training.Captions;

/// <summary>
/// Emotion categories of SECap's Chinese captions for the SCCL batch sampler, which needs N categories x K clips per
/// batch although EMOSpeech publishes no categorical labels. The category is that of the keyword occurring first in the
/// caption ("伤心难过，又无能为力" -> sad); captions with none of the keywords are "other". A heuristic over the
/// caption text, not a label: documented in docs/captioning.md.
/// </summary>
public static class ChineseCaptionCategories
{
    static readonly (string Category, string[] Keywords)[] Keywords =
    [
        ("angry", ["愤怒", "生气", "气愤", "怒", "恼", "愤", "不满", "烦躁", "不耐烦"]),
        ("sad", ["悲", "伤心", "难过", "哀", "痛", "泣", "哭", "失望", "沮丧", "忧伤", "低落", "凄", "委屈", "无奈", "遗憾", "内疚"]),
        ("happy", ["开心", "高兴", "喜", "欢", "快乐", "兴奋", "愉", "笑", "得意", "满意", "激动", "轻快", "自豪", "骄傲", "满足"]),
        ("fearful", ["害怕", "恐", "惧", "慌", "紧张", "担忧", "焦急", "焦虑", "担心", "忧心", "不安", "着急"]),
        ("surprised", ["惊讶", "惊奇", "诧异", "吃惊", "惊"]),
        ("neutral", ["平静", "平淡", "平稳", "冷静", "淡定", "平和"]),
    ];

    public static IReadOnlyList<string> All { get; } = [.. Keywords.Select(k => k.Category), "other"];

    public static string Of(string caption)
    {
        string best = "other";
        int bestAt = int.MaxValue;
        foreach (var (category, words) in Keywords)
            foreach (var w in words)
            {
                int at = caption.IndexOf(w, StringComparison.Ordinal);
                if (at >= 0 && at < bestAt) { bestAt = at; best = category; }
            }
        return best;
    }
}
