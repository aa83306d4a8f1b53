using System.Text.Json;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests;

/// <summary>
/// One file of tests/fixtures/engine (written by tools/golden/engine_fixtures.py): the tensors, read with
/// <see cref="SafeTensors.Open"/>, and the per-case JSON arguments stored in the safetensors <c>__metadata__</c>.
/// </summary>
internal sealed class GoldenFixture
{
    readonly IReadOnlyDictionary<string, Tensor> tensors;
    readonly IReadOnlyDictionary<string, string> metadata;

    public string Path { get; }

    GoldenFixture(string path)
    {
        Path = path;
        (tensors, metadata) = Load(path);
    }

    static readonly Dictionary<string, GoldenFixture> Cache = new();

    /// <summary>The fixture file tests/fixtures/engine/<paramref name="name"/>.safetensors (read once per test run).</summary>
    public static GoldenFixture Open(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var f))
                Cache[name] = f = new GoldenFixture(RepoPaths.Fixture($"engine/{name}.safetensors"));
            return f;
        }
    }

    public IEnumerable<string> Cases => metadata.Keys.Where(k => k != "block").OrderBy(k => k, StringComparer.Ordinal);

    public IEnumerable<string> Names => tensors.Keys;

    public bool Has(string name) => tensors.ContainsKey(name);

    /// <summary>A fresh copy of a stored tensor (tests may set RequiresGrad or write into it).</summary>
    public Tensor Get(string name) =>
        tensors.TryGetValue(name, out var t) ? t.Clone() : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>An integer tensor (ids, targets, indices) as ints.</summary>
    public int[] Ints(string name)
    {
        var t = Get(name).Data;
        var r = new int[t.Length];
        for (int i = 0; i < r.Length; i++) r[i] = checked((int)t[i]);
        return r;
    }

    public JsonElement Meta(string caseName) =>
        metadata.TryGetValue(caseName, out var json) ? JsonDocument.Parse(json).RootElement : throw new KeyNotFoundException($"{Path}: no metadata for case '{caseName}'");

    static (IReadOnlyDictionary<string, Tensor>, IReadOnlyDictionary<string, string>) Load(string path)
    {
        using var file = SafeTensors.Open(path);
        return (file.LoadAll(), new Dictionary<string, string>(file.Metadata));
    }
}

/// <summary>Value comparison against golden data: |actual - expected| &lt;= atol + rtol * |expected| everywhere.</summary>
internal static class GoldenAssert
{
    public const float Rtol = 1e-4f, Atol = 1e-5f;

    public static void Close(Tensor expected, Tensor? actual, string what, float rtol = Rtol, float atol = Atol)
    {
        if (actual is null) throw new Xunit.Sdk.XunitException($"{what}: no value (expected shape {expected.ShapeString})");
        if (!actual.Shape.SequenceEqual(expected.Shape))
            throw new Xunit.Sdk.XunitException($"{what}: shape {actual.ShapeString}, expected {expected.ShapeString}");
        var a = actual.Data;
        var e = expected.Data;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - e[i]);
            double excess = diff - (atol + rtol * Math.Abs(e[i]));
            if (double.IsNaN(diff) || excess > worstExcess) { worst = i; worstExcess = double.IsNaN(diff) ? double.PositiveInfinity : excess; }
        }
        if (worst >= 0)
            throw new Xunit.Sdk.XunitException(
                $"{what}: element {worst} is {a[worst]:G9}, expected {e[worst]:G9} (|diff| {Math.Abs(a[worst] - e[worst]):G3} > atol {atol} + rtol {rtol} * |expected|)");
    }

    public static void Equal(int[] expected, int[] actual, string what)
    {
        if (expected.Length != actual.Length) throw new Xunit.Sdk.XunitException($"{what}: {actual.Length} indices, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i]) throw new Xunit.Sdk.XunitException($"{what}: index {i} is {actual[i]}, expected {expected[i]}");
    }
}
