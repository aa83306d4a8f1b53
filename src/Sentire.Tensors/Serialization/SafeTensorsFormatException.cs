namespace Sentire.Tensors.Serialization;

/// <summary>A safetensors file (or a sharded index) that breaks the format: the message names the file and the problem.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>The offending file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }

    public SafeTensorsFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }
}
