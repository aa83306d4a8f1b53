using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sentire.Cli.Batch;

/// <summary>Size and modification time of an input when it was analysed: a record counts as done only while both still match.</summary>
public readonly record struct FileStamp(long Size, DateTime ModifiedUtc)
{
    public const string SizeField = "file_size", ModifiedField = "file_mtime";

    /// <summary>The stamp of an existing file, null when there is none.</summary>
    public static FileStamp? Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
    }

    /// <summary>ISO 8601 in UTC to 100 ns, e.g. 2026-12-06T14:55:00.1234567Z: it reads back to the same time.</summary>
    public string ModifiedText => ModifiedUtc.ToString("O", CultureInfo.InvariantCulture);
}

/// <summary>The two forms of a results file: JSON lines (analyze --json's objects) or CSV (analyze --csv's rows).</summary>
public enum ResultFormat { Jsonl, Csv }

/// <summary>What a results file says about one input: its last record's stamp and whether that record is an error.</summary>
public sealed record RecordedFile(string File, FileStamp? Stamp, bool Failed);

/// <summary>
/// An append-only results file of a batch run (<c>--out results.jsonl</c>): one record per analysed file, each the
/// <c>analyze --json</c> object (<see cref="Models.Analysis.FileAnalysisJson"/>) followed by <c>file_size</c> and
/// <c>file_mtime</c>, the stamp of the input it was made from; a failure is <c>{"file", "error", file_size, file_mtime}</c>.
/// Each record is written with one write call and flushed to disk, so a killed process leaves whole lines; a torn
/// last line (a crash of the machine, a full disk) carries no newline and is cut off when the file is opened again.
/// A <c>.csv</c> results file holds analyze --csv's header and rows (<see cref="Models.Analysis.FileAnalysisCsv"/>) with
/// the two stamp columns appended to each row; a file's rows are written together in one write.
/// A second run writing the same file is refused (two shards given one --out) by a lock on <c>results.jsonl.lock</c>. A file recorded twice (it changed, or a
/// failure was retried) counts by its last record.
/// </summary>
public sealed class ResultLog : IDisposable
{
    readonly FileStream stream, writerLock;
    readonly Dictionary<string, RecordedFile> recorded;

    /// <summary>The header of a CSV results file: analyze --csv's columns and the stamp.</summary>
    public const string CsvHeader = Models.Analysis.FileAnalysisCsv.Header + "," + FileStamp.SizeField + "," + FileStamp.ModifiedField;

    /// <summary>The form a results file's extension names (.jsonl or .csv), null for any other.</summary>
    public static ResultFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" => ResultFormat.Jsonl,
        ".csv" => ResultFormat.Csv,
        _ => null,
    };

    public ResultFormat Format { get; }

    ResultLog(FileStream stream, FileStream writerLock, Dictionary<string, RecordedFile> recorded, long tornBytes, ResultFormat format)
    {
        Format = format;
        this.stream = stream;
        this.writerLock = writerLock;
        this.recorded = recorded;
        TornBytes = tornBytes;
    }

    /// <summary>Bytes of an unfinished last record that opening cut off (0 when the file ended cleanly).</summary>
    public long TornBytes { get; }

    /// <summary>Files recorded so far, by path as recorded.</summary>
    public IReadOnlyDictionary<string, RecordedFile> Recorded => recorded;

    /// <summary>Opens (or creates) <paramref name="path"/> for appending; <paramref name="restart"/> empties it first (--force).</summary>
    /// <exception cref="IOException">Another process writes it, or it cannot be opened.</exception>
    /// <exception cref="InvalidDataException">A complete line that is not a record, named by file and line.</exception>
    public static ResultLog Open(string path, bool restart)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        // An exclusive lock on a side file (flock on Unix) keeps a second writer out while readers (merge, tail) read freely;
        // the kernel drops it when the process dies, so a killed run never leaves the log locked.
        FileStream writerLock;
        try { writerLock = new FileStream(path + LockSuffix, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"{path}: another run is writing it ({e.Message}); give each shard its own --out", e);
        }
        FileStream stream;
        try { stream = new FileStream(path, restart ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite); }
        catch
        {
            writerLock.Dispose();
            throw;
        }
        try
        {
            var format = FormatOf(path) ?? throw new ArgumentException($"{path}: a results file ends in .jsonl or .csv");
            long torn = CutTornTail(stream);
            stream.Position = 0;
            var recorded = new Dictionary<string, RecordedFile>(StringComparer.Ordinal);
            foreach (var r in ReadRecords(stream, path, format)) recorded[r.File] = r;
            if (format == ResultFormat.Csv && stream.Length == 0)
            {
                stream.Write(Encoding.UTF8.GetBytes(CsvHeader + "\n"));
                stream.Flush(flushToDisk: true);
            }
            stream.Seek(0, SeekOrigin.End);
            return new ResultLog(stream, writerLock, recorded, torn, format);
        }
        catch
        {
            stream.Dispose();
            writerLock.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="file"/> has a record made from its current state; failures count as done unless
    /// <paramref name="retryFailed"/>. <paramref name="failed"/> says whether that record is a failure.</summary>
    public bool IsDone(string file, FileStamp? stamp, bool retryFailed, out bool failed)
    {
        failed = false;
        if (!recorded.TryGetValue(file, out var r) || r.Stamp != stamp) return false;
        failed = r.Failed;
        return !(r.Failed && retryFailed);
    }

    /// <summary>Appends one file's record (a JSON line, or its CSV rows) with one write and flushes it to disk.</summary>
    public void Append(BatchRecord outcome, FileStamp? stamp)
    {
        var record = outcome.Record;
        string text;
        if (Format == ResultFormat.Jsonl)
        {
            record[FileStamp.SizeField] = stamp?.Size;
            record[FileStamp.ModifiedField] = stamp?.ModifiedText;
            text = Models.Analysis.FileAnalysisJson.Serialize(record) + "\n";
        }
        else
        {
            var stampColumns = stamp is { } s ? string.Create(CultureInfo.InvariantCulture, $",{s.Size},{s.ModifiedText}") : ",,";
            text = string.Concat(outcome.CsvRows.Select(row => row + stampColumns + "\n"));
        }
        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
        var file = record["file"]!.GetValue<string>();
        recorded[file] = new RecordedFile(file, stamp, outcome.Failed);
    }

    /// <summary>Suffix of the lock file beside the log, there while a run writes it.</summary>
    public const string LockSuffix = ".lock";

    public void Dispose()
    {
        stream.Dispose();
        File.Delete(writerLock.Name);
        writerLock.Dispose();
    }

    /// <summary>Cuts the file after its last newline; returns the bytes removed.</summary>
    static long CutTornTail(FileStream stream)
    {
        long length = stream.Length;
        if (length == 0) return 0;
        var buffer = new byte[64 * 1024];
        long end = length;
        while (end > 0)
        {
            int n = (int)Math.Min(buffer.Length, end);
            stream.Position = end - n;
            stream.ReadExactly(buffer, 0, n);
            int newline = Array.LastIndexOf(buffer, (byte)'\n', n - 1);
            if (newline >= 0)
            {
                long keep = end - n + newline + 1;
                if (keep < length) stream.SetLength(keep);
                return length - keep;
            }
            end -= n;
        }
        stream.SetLength(0);
        return length;
    }

    /// <summary>The records of a results file, in file order; a torn last line (no newline) is left out.</summary>
    /// <exception cref="InvalidDataException">A complete line that is not a record.</exception>
    public static IEnumerable<RecordedFile> ReadRecords(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        foreach (var r in ReadRecords(stream, path, FormatOf(path) ?? ResultFormat.Jsonl)) yield return r;
    }

    /// <summary>Every whole line of a results file with its 1-based number, as read by <see cref="ReadRecords(string)"/>.</summary>
    public static IEnumerable<(int Line, string Text)> ReadLines(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        var line = new StringBuilder();
        int number = 0, c;
        while ((c = reader.Read()) >= 0)
        {
            if (c != '\n') { line.Append((char)c); continue; }
            number++;
            yield return (number, line.ToString());
            line.Clear();
        }
    }

    static IEnumerable<RecordedFile> ReadRecords(Stream stream, string path, ResultFormat format)
    {
        foreach (var (number, text) in ReadLines(stream))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (format == ResultFormat.Jsonl) { yield return Parse(text, path, number); continue; }
            if (number == 1)
            {
                if (text != CsvHeader)
                    throw new InvalidDataException($"{path}:1: the header is not a results file's ({CsvHeader}); use another --out, or --force to start it afresh");
                continue;
            }
            yield return ParseCsvRow(text, path, number);
        }
    }

    /// <summary>File, stamp and failure of one CSV row (the file's first column, status third, the stamp last).</summary>
    static RecordedFile ParseCsvRow(string line, string path, int number)
    {
        var fields = InputManifest.CsvFields(line);
        int columns = CsvHeader.Split(',').Length;
        if (fields.Count != columns) throw new InvalidDataException($"{path}:{number}: {fields.Count} fields, expected {columns}");
        FileStamp? stamp = null;
        if (long.TryParse(fields[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            && DateTime.TryParseExact(fields[^1], "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var modified))
            stamp = new FileStamp(size, modified.ToUniversalTime());
        return new RecordedFile(fields[0], stamp, fields[2] == Models.Analysis.FileAnalysisJson.ErrorStatus);
    }

    /// <summary>File, stamp and failure of one record line.</summary>
    public static RecordedFile Parse(string line, string path, int number)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(line); }
        catch (JsonException e) { throw new InvalidDataException($"{path}:{number}: not a JSON record ({e.Message})", e); }
        if (node is not JsonObject obj || obj["file"] is not JsonValue f || !f.TryGetValue<string>(out var file))
            throw new InvalidDataException($"{path}:{number}: a record needs a \"file\" string");
        FileStamp? stamp = null;
        if (obj[FileStamp.SizeField] is JsonValue s && s.TryGetValue<long>(out var size)
            && obj[FileStamp.ModifiedField] is JsonValue m && m.TryGetValue<string>(out var text)
            && DateTime.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var modified))
            stamp = new FileStamp(size, modified.ToUniversalTime());
        return new RecordedFile(file, stamp, obj.ContainsKey("error"));
    }
}
