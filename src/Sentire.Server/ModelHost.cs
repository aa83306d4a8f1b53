using Sentire.Models;
using Sentire.Models.Secap;

namespace Sentire.Server;

/// <summary>
/// The models the service answers with, loaded once, off the request path, when the server starts (the same
/// <see cref="EmotionModels.Load"/> and <see cref="EmotionCaptioner.Load"/> as the command line). Until they are,
/// <c>/readyz</c> says 503 and the analysis routes answer 503 <c>not_ready</c>; a model that fails to load leaves the
/// service alive but never ready, with the reason in <see cref="LoadError"/>.
/// </summary>
public sealed class ModelHost
{
    readonly Task loading;

    public ModelHost(ServeOptions options)
    {
        Options = options;
        loading = Task.Run(Load);
    }

    public ServeOptions Options { get; }
    public IEmotionAnalyzer? Analyzer { get; private set; }
    public EmotionCaptioner? Captioner { get; private set; }
    /// <summary>Why the models could not be loaded, or null.</summary>
    public string? LoadError { get; private set; }
    public bool IsReady => Analyzer is not null && (Options.CaptionModelFolder is null || Captioner is not null);

    /// <summary>Completes when loading has finished, well or not.</summary>
    public Task Loaded => loading;

    void Load()
    {
        try
        {
            var analyzer = EmotionModels.Load(Options.ModelFolder);
            // The prompt embeddings of the model's own labels, made once now rather than by the first request.
            analyzer.Analyze(Audio.Decoding.AudioClip.FromMono(new float[analyzer.SampleRate], analyzer.SampleRate, "warm-up"));
            if (Options.CaptionModelFolder is { } captions) Captioner = EmotionCaptioner.Load(captions);
            Analyzer = analyzer;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            LoadError = e.Message;
        }
    }
}
