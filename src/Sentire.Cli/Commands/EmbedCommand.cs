using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire embed FILE... --encoder PATH [--layer N|all] --out X.safetensors</c>: the hidden states of a Hugging Face
/// speech encoder (wav2vec2, HuBERT, data2vec-audio, WavLM checkpoint folder) for each file, mixed down and resampled
/// to the encoder's rate, long files in overlapping chunks. One tensor per file named after the file (its name
/// without extension, made unique): (T', D) for one layer, (L + 1, T', D) for all. A file that cannot be read or is
/// too short is reported and the others are still written (exit code 1); the output is replaced atomically.
/// </summary>
public static class EmbedCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Audio files (WAV, FLAC, or anything ffmpeg reads).", Arity = ArgumentArity.OneOrMore };
        var encoder = new Option<string>("--encoder") { Description = "Hugging Face checkpoint folder (config.json + model.safetensors or shards).", Required = true };
        var layer = new Option<string>("--layer") { Description = "Hidden state to keep: 0 (encoder input) .. L (last layer), or all.", DefaultValueFactory = _ => "all" };
        var output = new Option<string>("--out") { Description = "Output .safetensors file.", Required = true };
        var chunk = new Option<double>("--chunk-seconds") { Description = "Encode longer files in overlapping windows of this length (context each side: a sixth of it, at most 3.2 s).", DefaultValueFactory = _ => SpeechChunking.Default.ChunkSeconds };
        var command = new Command("embed", "Hidden states of a pretrained speech encoder (wav2vec2, HuBERT, data2vec-audio, WavLM) for each file.")
        {
            files, encoder, layer, output, chunk,
        };
        command.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                return Usage($"--out {outPath}: expected a .safetensors file");
            Wav2Vec2Model model;
            try { model = PretrainedSpeechEncoder.Load(parse.GetValue(encoder)!); }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
            {
                return Usage(e.Message);
            }
            int? chosen;
            var layerText = parse.GetValue(layer)!;
            if (layerText == "all") chosen = null;
            else if (int.TryParse(layerText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= model.LayerCount) chosen = n;
            else return Usage($"--layer '{layerText}': expected all or a number from 0 to {model.LayerCount}");
            SpeechChunking chunking;
            try
            {
                var seconds = parse.GetValue(chunk);
                chunking = new SpeechChunking(seconds, Math.Min(SpeechChunking.Default.ContextSeconds, seconds / 6));
                chunking.Samples(model.Config, model.SampleRate);
            }
            catch (ArgumentException e) { return Usage($"--chunk-seconds: {e.Message}"); }

            var conditioner = new Conditioner(new ConditioningOptions { SampleRate = model.SampleRate });
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var sources = new Dictionary<string, string>(StringComparer.Ordinal);
            int failed = 0;
            foreach (var file in parse.GetValue(files)!)
            {
                try
                {
                    var samples = conditioner.Apply(AudioFile.Read(file));
                    if (model.Config.OutputFrames(samples.Length) < 1)
                        throw new InvalidDataException($"{file}: {samples.Length} samples at {model.SampleRate} Hz, shorter than one encoder frame ({model.Config.ReceptiveField} samples)");
                    IReadOnlyList<Tensor> hidden;
                    using (Autograd.NoGrad()) hidden = model.EncodeLong(samples, chunking).HiddenStates;
                    var name = UniqueName(Path.GetFileNameWithoutExtension(file), tensors);
                    tensors[name] = chosen is { } l
                        ? hidden[l].Reshape(hidden[l].Dim(1), hidden[l].Dim(2))
                        : Tensor.Stack(hidden, 0).Reshape(hidden.Count, hidden[0].Dim(1), hidden[0].Dim(2));
                    sources[name] = file;
                    Console.WriteLine($"{file}: {name} {tensors[name].ShapeString}");
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    failed++;
                    Console.Error.WriteLine($"{file}: error: {e.Message}");
                }
            }
            if (tensors.Count == 0)
            {
                Console.Error.WriteLine($"sentire embed: no file could be encoded; {outPath} was not written");
                return 1;
            }
            var metadata = new Dictionary<string, string>
            {
                ["encoder"] = Path.GetFullPath(parse.GetValue(encoder)!),
                ["model_type"] = PretrainedSpeechEncoder.ModelTypes.First(kv => kv.Value == model.Config.Family).Key,
                ["layer"] = chosen?.ToString(CultureInfo.InvariantCulture) ?? "all",
                ["layout"] = chosen is null ? "hidden_state,frame,feature" : "frame,feature",
                ["frame_rate_hz"] = ((double)model.SampleRate / model.Config.FrameStride).ToString(CultureInfo.InvariantCulture),
                ["files"] = JsonSerializer.Serialize(sources),
            };
            SafeTensors.Write(outPath, tensors, metadata);
            Console.WriteLine($"{outPath}: {tensors.Count} file(s), layer {metadata["layer"]}, {metadata["frame_rate_hz"]} frames/s");
            return failed > 0 ? 1 : 0;
        });
        return command;
    }

    /// <summary>The file's stem, or stem_2, stem_3, ... when another file of the batch already has it.</summary>
    static string UniqueName(string stem, Dictionary<string, Tensor> taken)
    {
        if (stem.Length == 0) stem = "audio";
        var name = stem;
        for (int n = 2; taken.ContainsKey(name); n++) name = $"{stem}_{n}";
        return name;
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire embed: {message}");
        return 2;
    }
}
