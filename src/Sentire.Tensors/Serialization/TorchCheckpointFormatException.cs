namespace Sentire.Tensors.Serialization;

/// <summary>
/// A torch.save checkpoint that cannot be read safely: broken zip or pickle, an unsupported storage, or a global that the
/// restricted unpickler refuses (then <see cref="RefusedGlobal"/> names it, as "module.name"). The message names the file.
/// </summary>
public sealed class TorchCheckpointFormatException : Exception
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }

    /// <summary>The pickle global that was refused ("posix.system", "torch.nn.modules.linear.Linear"), or null when the
    /// file was refused for another reason.</summary>
    public string? RefusedGlobal { get; }

    public TorchCheckpointFormatException(string filePath, string problem, string? refusedGlobal = null, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
        RefusedGlobal = refusedGlobal;
    }
}
