using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sentire.Server;

/// <summary>
/// The service's metrics in the Prometheus text exposition format (version 0.0.4), served at <c>GET /metrics</c>:
/// requests by route and status, a latency histogram by route, audio seconds analysed, refusals of a full pool, live
/// stream window latency, and gauges of the queue, the busy workers and the open streams. Each server counts on its
/// own (no process-wide registry: two servers in one process, as in the tests, count apart).
/// </summary>
public sealed class ServiceMetrics
{
    static readonly double[] RequestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    static readonly double[] WindowBuckets = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2];
    readonly WorkerPool pool;
    int activeStreams;

    public ServiceMetrics(WorkerPool pool) => this.pool = pool;

    public Counter Requests { get; } = new("sentire_http_requests_total", "HTTP requests by route and status.", "route", "status");
    public Histogram Latency { get; } = new("sentire_http_request_duration_seconds", "Time from request to response, by route.", RequestBuckets, "route");
    public Counter AudioSeconds { get; } = new("sentire_audio_seconds_total", "Seconds of audio analysed (uploads and streams).", "source");
    public Counter Rejected { get; } = new("sentire_rejected_total", "Requests and streams refused because the worker pool and its queue were full.");
    public Histogram WindowLatency { get; } = new("sentire_stream_window_latency_seconds",
        "Live streams: time from receiving a window's last sample to sending its message.", WindowBuckets);

    public void StreamOpened() => Interlocked.Increment(ref activeStreams);
    public void StreamClosed() => Interlocked.Decrement(ref activeStreams);

    /// <summary>Every metric as Prometheus text.</summary>
    public string Text()
    {
        var text = new StringBuilder();
        Requests.WriteTo(text);
        Latency.WriteTo(text);
        AudioSeconds.WriteTo(text);
        Rejected.WriteTo(text);
        WindowLatency.WriteTo(text);
        Gauge(text, "sentire_queue_depth", "Analyses waiting for a worker.", pool.QueueDepth);
        Gauge(text, "sentire_workers_busy", "Workers running an analysis.", pool.Busy);
        Gauge(text, "sentire_admitted", "Places of the worker budget held (requests waiting or running, open streams).", pool.Admitted);
        Gauge(text, "sentire_active_streams", "Open live streams.", Volatile.Read(ref activeStreams));
        Gauge(text, "sentire_arena_bytes", "Tensor storage the workers' arenas hold for reuse.", pool.ArenaBytes);
        Gauge(text, "process_resident_memory_bytes", "Resident memory of the process.", Environment.WorkingSet);
        return text.ToString();
    }

    static void Gauge(StringBuilder text, string name, string help, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {Format(value)}\n");

    internal static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The <c>a="x",b="y"</c> of a sample, values escaped as the format asks.</summary>
    internal static string Labels(string[] names, string[] values) =>
        string.Join(",", names.Select((n, i) => $"{n}=\"{values[i].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\""));

    /// <summary><c>{labels}</c>, or nothing for none.</summary>
    internal static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    /// <summary>A monotonically increasing sum per label set.</summary>
    public sealed class Counter(string name, string help, params string[] labelNames)
    {
        readonly ConcurrentDictionary<string, Cell> cells = new(StringComparer.Ordinal);

        public Cell WithLabels(params string[] values) =>
            values.Length == labelNames.Length ? cells.GetOrAdd(Labels(labelNames, values), _ => new Cell())
                : throw new ArgumentException($"{name} has labels {string.Join(", ", labelNames)}, got {values.Length} values");

        public void Inc(double by = 1) => WithLabels().Inc(by);

        internal void WriteTo(StringBuilder text)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n");
            if (labelNames.Length == 0) cells.GetOrAdd("", _ => new Cell());
            foreach (var (labels, cell) in cells.OrderBy(c => c.Key, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"{name}{Braces(labels)} {Format(cell.Value)}\n");
        }

        public sealed class Cell
        {
            readonly Lock gate = new();
            double value;
            public double Value { get { lock (gate) return value; } }
            public void Inc(double by = 1) { lock (gate) value += by; }
        }
    }

    /// <summary>Observations counted into cumulative buckets, with their sum and count, per label set.</summary>
    public sealed class Histogram(string name, string help, double[] buckets, params string[] labelNames)
    {
        readonly ConcurrentDictionary<string, Series> series = new(StringComparer.Ordinal);

        public Series WithLabels(params string[] values) => series.GetOrAdd(Labels(labelNames, values), _ => new Series(buckets));
        public void Observe(double value) => WithLabels().Observe(value);

        internal void WriteTo(StringBuilder text)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
            foreach (var (key, s) in series.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                string With(string le) => "{" + (key.Length == 0 ? "" : key + ",") + $"le=\"{le}\"" + "}";
                var (counts, sum, count) = s.Snapshot();
                long cumulative = 0;
                for (int i = 0; i < buckets.Length; i++)
                {
                    cumulative += counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{With(Format(buckets[i]))} {cumulative}\n");
                }
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{With("+Inf")} {count}\n{name}_sum{Braces(key)} {Format(sum)}\n{name}_count{Braces(key)} {count}\n");
            }
        }

        public sealed class Series(double[] buckets)
        {
            readonly Lock gate = new();
            readonly long[] counts = new long[buckets.Length];
            double sum;
            long count;

            public void Observe(double value)
            {
                int i = 0;
                while (i < buckets.Length && value > buckets[i]) i++;
                lock (gate)
                {
                    if (i < buckets.Length) counts[i]++;
                    sum += value;
                    count++;
                }
            }

            internal (long[] Counts, double Sum, long Count) Snapshot() { lock (gate) return ((long[])counts.Clone(), sum, count); }
        }
    }
}
