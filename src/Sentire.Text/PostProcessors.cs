namespace Sentire.Text;

/// <summary>A tokenizer.json post-processor: adds the special tokens around one encoded sequence.</summary>
public interface IPostProcessor
{
    int[] Process(List<int> ids);
}

public sealed record SequencePostProcessor(IReadOnlyList<IPostProcessor> Processors) : IPostProcessor
{
    public int[] Process(List<int> ids)
    {
        foreach (var p in Processors) ids = [.. p.Process(ids)];
        return [.. ids];
    }
}

/// <summary>TemplateProcessing's "single" template: fixed ids before and after the sequence ($A).</summary>
public sealed record TemplatePostProcessor(int[] Before, int[] After) : IPostProcessor
{
    public int[] Process(List<int> ids) => [.. Before, .. ids, .. After];
}

/// <summary>ByteLevel's post-processing only trims offsets; ids pass through.</summary>
public sealed record IdentityPostProcessor : IPostProcessor
{
    public int[] Process(List<int> ids) => [.. ids];
}
