namespace Sentire.Audio.Decoding;

/// <summary>
/// Decodes formats Sentire has no decoder for (MP3, Ogg/Vorbis, Opus, M4A/AAC, WebM...) by running
/// <c>ffmpeg -i FILE -map 0:a:0 -c:a pcm_f32le -f wav pipe:1</c> and reading the streamed float WAV it writes
/// (data size 0xFFFFFFFF, handled by <see cref="WavReader"/>). Channels and sample rate are kept as decoded.
/// </summary>
public sealed class FfmpegDecoder
{
    /// <summary>The decoder using the first <c>ffmpeg</c> on PATH (unavailable when there is none).</summary>
    public static FfmpegDecoder Default { get; } = new(ExternalProcess.FindOnPath("ffmpeg"));

    /// <param name="executable">Path of the ffmpeg binary, or null when it is not installed.</param>
    public FfmpegDecoder(string? executable) => Executable = executable;

    public string? Executable { get; }

    public bool IsAvailable => Executable is not null && File.Exists(Executable);

    /// <summary>Starts decoding the audio file at <paramref name="path"/> (its first audio stream) for reading in chunks from
    /// ffmpeg's pipe: the samples of <see cref="Decode"/>, never held whole.</summary>
    /// <exception cref="AudioFormatException">ffmpeg is missing or cannot decode the file.</exception>
    public AudioStreamReader Open(string path)
    {
        RequireAvailable(path);
        var process = ExternalProcess.Start(Executable!, DecodeArguments(path, null));
        try
        {
            var pipe = new FfmpegPipe(process, path);
            return WavReader.OpenStream(pipe, path, length: null, AudioContainer.Ffmpeg) ?? throw pipe.Failure();
        }
        catch (Exception e) when (e is AudioFormatException or IOException)
        {
            ExternalProcess.Stop(process);
            throw;
        }
    }

    static string[] DecodeArguments(string path, double? maxSeconds) =>
        ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", Path.GetFullPath(path),
         "-map", "0:a:0", "-vn", .. (maxSeconds is { } t ? new[] { "-t", t.ToString("R", System.Globalization.CultureInfo.InvariantCulture) } : []),
         "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"];

    /// <summary>ffmpeg's standard output; at its end, a failed decode (exit code, or nothing written) is the error
    /// <see cref="Decode"/> gives.</summary>
    sealed class FfmpegPipe(System.Diagnostics.Process process, string path) : Stream
    {
        readonly Stream output = process.StandardOutput.BaseStream;
        readonly Task<string> errors = process.StandardError.ReadToEndAsync();
        long written;

        public AudioFormatException Failure()
        {
            process.WaitForExit();
            return new AudioFormatException(path, $"ffmpeg could not decode it (exit code {process.ExitCode}): {new ProcessResult(process.ExitCode, [], errors.Result).LastErrorLine}");
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = output.Read(buffer, offset, count);
            written += n;
            if (n == 0 && count > 0)
            {
                process.WaitForExit();
                if (process.ExitCode != 0 || written == 0) throw Failure();
            }
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                ExternalProcess.Stop(process);
                process.Dispose();
            }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    void RequireAvailable(string path)
    {
        if (!IsAvailable)
            throw new AudioFormatException(path,
                "Sentire decodes PCM/float WAV and FLAC itself; this file needs ffmpeg (used for MP3, Ogg, Opus, M4A, WebM and other formats or encodings), which is not installed" +
                (Executable is null ? "" : $" at {Executable}") +
                ". Install it (Debian/Ubuntu: sudo apt-get install ffmpeg; Fedora: sudo dnf install ffmpeg; macOS: brew install ffmpeg; " +
                "Windows: winget install ffmpeg) so that `ffmpeg` is on PATH, or convert the file to WAV or FLAC first.");
    }

    /// <summary>Decodes the audio file at <paramref name="path"/> (its first audio stream); with
    /// <paramref name="maxSeconds"/>, ffmpeg stops after that much audio (<c>-t</c>), so a clip that long was cut.</summary>
    /// <exception cref="AudioFormatException">ffmpeg is missing or cannot decode the file.</exception>
    public AudioClip Decode(string path, double? maxSeconds = null)
    {
        RequireAvailable(path);
        var result = ExternalProcess.Run(Executable!, DecodeArguments(path, maxSeconds));
        if (result.ExitCode != 0 || result.StandardOutput.Length == 0)
            throw new AudioFormatException(path, $"ffmpeg could not decode it (exit code {result.ExitCode}): {result.LastErrorLine}");
        var clip = WavReader.Read(result.StandardOutput, path);
        return new AudioClip(clip.Samples, clip.SampleRate, clip.Channels, path, AudioContainer.Ffmpeg);
    }

    /// <summary>
    /// Decodes many files with one ffmpeg process per <paramref name="filesPerProcess"/> of them (each to a float WAV in a
    /// temporary folder), as starting ffmpeg costs far more than decoding a short clip (the Ogg Opus corpora: about 6x less
    /// CPU than one process per file). Same samples as <see cref="Decode"/> of each file.
    /// </summary>
    /// <exception cref="AudioFormatException">ffmpeg is missing or cannot decode one of the files (the first of its group is named).</exception>
    public AudioClip[] DecodeMany(IReadOnlyList<string> paths, int filesPerProcess = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filesPerProcess, 1);
        if (paths.Count == 0) return [];
        if (!IsAvailable) return [Decode(paths[0])];   // throws the how-to-install message
        var clips = new AudioClip[paths.Count];
        RunBatched(paths, filesPerProcess, ["-c:a", "pcm_f32le", "-f", "wav"], "could not decode", (i, bytes) =>
        {
            var clip = WavReader.Read(bytes, paths[i]);
            clips[i] = new AudioClip(clip.Samples, clip.SampleRate, clip.Channels, paths[i], AudioContainer.Ffmpeg);
        });
        return clips;
    }

    /// <summary>
    /// ffmpeg's decode of each file as signed little-endian integers (<c>-f s16le</c> or <c>-f s32le</c>, the top bits
    /// holding the sample): the reference the FLAC decoder is checked against. Up to 100 files share one ffmpeg
    /// process (one input and one output each), as starting ffmpeg costs more than decoding a short clip.
    /// </summary>
    public int[][] DecodeIntegers(IReadOnlyList<string> paths, int bits)
    {
        if (bits is not (16 or 32)) throw new ArgumentOutOfRangeException(nameof(bits), bits, "ffmpeg integer output is 16 or 32 bits");
        if (!IsAvailable) throw new InvalidOperationException("ffmpeg is not installed");
        var results = new int[paths.Count][];
        RunBatched(paths, 100, ["-f", bits == 16 ? "s16le" : "s32le"], "failed on", (i, raw) =>
            results[i] = bits == 16
                ? Array.ConvertAll(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(raw).ToArray(), s => (int)s)
                : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray());
        return results;
    }

    /// <summary>One ffmpeg process per <paramref name="filesPerProcess"/> files (one input and one output each, written
    /// with <paramref name="outputFormat"/> to a temporary folder); <paramref name="read"/> gets each file's index and
    /// output bytes. A failing process is reported against the first file of its group.</summary>
    void RunBatched(IReadOnlyList<string> paths, int filesPerProcess, string[] outputFormat, string failure, Action<int, byte[]> read)
    {
        var folder = Directory.CreateTempSubdirectory("sentire-ffmpeg-");
        try
        {
            for (int first = 0; first < paths.Count; first += filesPerProcess)
            {
                int count = Math.Min(filesPerProcess, paths.Count - first);
                var arguments = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
                for (int i = 0; i < count; i++) arguments.AddRange(["-i", Path.GetFullPath(paths[first + i])]);
                for (int i = 0; i < count; i++)
                    arguments.AddRange(["-map", $"{i}:a:0", .. outputFormat, Path.Combine(folder.FullName, $"{first + i}.out")]);
                var result = ExternalProcess.Run(Executable!, arguments);
                if (result.ExitCode != 0)
                    throw new AudioFormatException(paths[first], $"ffmpeg {failure} files {first}..{first + count - 1} of the batch (exit code {result.ExitCode}): {result.LastErrorLine}");
                for (int i = first; i < first + count; i++) read(i, File.ReadAllBytes(Path.Combine(folder.FullName, $"{i}.out")));
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
