namespace Sentire.Tensors.Optim;

/// <summary>
/// Base of the optimisers: parameter groups, per-parameter state (a step count and named buffers such as
/// "exp_avg"), and export/import of that state as named tensors "{parameter name}.{buffer}" for checkpoints.
/// Parameters without a gradient (frozen, or unused this step) are skipped, as in torch.
/// </summary>
public abstract class Optimizer
{
    readonly ParamGroup[] groups;
    readonly Dictionary<Tensor, ParameterState> state = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<string, Tensor> byName = new(StringComparer.Ordinal);
    readonly string[] bufferNames;

    /// <summary>Per-parameter state: optimiser steps applied so far and one buffer per name in <see cref="BufferNames"/>.</summary>
    protected sealed class ParameterState(int buffers, int length)
    {
        public long Step { get; set; }
        public float[][] Buffers { get; } = Enumerable.Range(0, buffers).Select(_ => new float[length]).ToArray();
    }

    protected Optimizer(IEnumerable<ParamGroup> groups, double learningRate, double weightDecay, string[] bufferNames)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), $"learning rate must be >= 0, got {learningRate}");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be >= 0, got {weightDecay}");
        this.groups = groups.ToArray();
        this.bufferNames = bufferNames;
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var group in this.groups)
        {
            group.ApplyDefaults(learningRate, weightDecay);
            foreach (var (name, p) in group.Parameters)
            {
                if (!seen.Add(p)) throw new ArgumentException($"parameter \"{name}\" appears in more than one group");
                if (!byName.TryAdd(name, p)) throw new ArgumentException($"two parameters are named \"{name}\"");
            }
        }
    }

    public IReadOnlyList<ParamGroup> Groups => groups;

    /// <summary>Names of the per-parameter buffers ("exp_avg", "momentum_buffer", ...).</summary>
    public IReadOnlyList<string> BufferNames => bufferNames;

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        foreach (var group in groups)
            foreach (var (_, p) in group.Parameters)
            {
                if (p.Grad is not { } grad) continue;
                if (grad.Length != p.Length)
                    throw new InvalidOperationException($"gradient of {ParameterName(p)} has shape {grad.ShapeString}, the parameter {p.ShapeString}");
                if (!state.TryGetValue(p, out var s)) state[p] = s = new ParameterState(bufferNames.Length, p.Length);
                s.Step++;
                Update(group, p.Data, grad.Data, s);
            }
    }

    string ParameterName(Tensor p) => byName.First(kv => ReferenceEquals(kv.Value, p)).Key;

    /// <summary>Updates one parameter in place; <paramref name="state"/>.Step already counts this step (1 on the first).</summary>
    protected abstract void Update(ParamGroup group, Span<float> parameter, ReadOnlySpan<float> gradient, ParameterState state);

    /// <summary>Drops every gradient (torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var group in groups)
            foreach (var (_, p) in group.Parameters) p.ZeroGrad();
    }

    /// <summary>Sets each group's learning rate to its initial rate times <paramref name="factor"/> (from an <see cref="LrSchedule"/>).</summary>
    public void SetLearningRateFactor(double factor)
    {
        foreach (var g in groups) g.LearningRate = g.InitialLearningRate * factor;
    }

    /// <summary>The state as named tensors: "{name}.step" (one element) and "{name}.{buffer}" for every parameter
    /// that has been updated at least once. The tensors are copies.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in byName)
        {
            if (!state.TryGetValue(p, out var s)) continue;
            dict[name + ".step"] = Tensor.FromArray([(float)s.Step], 1);
            for (int b = 0; b < bufferNames.Length; b++)
                dict[$"{name}.{bufferNames[b]}"] = Tensor.FromArray(s.Buffers[b], p.ShapeArray());
        }
        return dict;
    }

    /// <summary>Replaces the state with <paramref name="dict"/> (as written by <see cref="StateDict"/>). Every key must
    /// name a known parameter and buffer with the parameter's shape; parameters absent from it start fresh.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> dict)
    {
        var loaded = new Dictionary<Tensor, ParameterState>(ReferenceEqualityComparer.Instance);
        var problems = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in byName)
        {
            if (!dict.TryGetValue(name + ".step", out var step)) continue;
            used.Add(name + ".step");
            var s = new ParameterState(bufferNames.Length, p.Length) { Step = (long)step.Data[0] };
            for (int b = 0; b < bufferNames.Length; b++)
            {
                var key = $"{name}.{bufferNames[b]}";
                if (!dict.TryGetValue(key, out var buffer)) { problems.Add($"missing {key}"); continue; }
                used.Add(key);
                if (!buffer.Shape.SequenceEqual(p.Shape)) { problems.Add($"{key}: found {buffer.ShapeString}, expected {p.ShapeString}"); continue; }
                buffer.Data.CopyTo(s.Buffers[b]);
            }
            loaded[p] = s;
        }
        foreach (var key in dict.Keys)
            if (!used.Contains(key)) problems.Add($"unexpected {key}");
        if (problems.Count > 0)
            throw new InvalidDataException($"optimizer state does not match this {GetType().Name}: {string.Join("; ", problems)}");
        state.Clear();
        foreach (var (p, s) in loaded) state[p] = s;
    }
}
