using Sentire.Tensors.Serialization;

namespace Sentire.Tensors.Nn;

/// <summary>
/// A trainable building block: it owns named parameters (trainable tensors), buffers (state-dict tensors
/// that are not trained) and child modules, all registered explicitly in the constructor, so names are the
/// PyTorch state-dict keys: a parameter "weight" of child "q_proj" of child "3" of child "layers" is
/// "layers.3.q_proj.weight". Registration order is iteration order (PyTorch's: own tensors, then children).
/// </summary>
public abstract class Module
{
    readonly List<KeyValuePair<string, Tensor>> parameters = [];
    readonly List<KeyValuePair<string, Tensor>> buffers = [];
    readonly List<KeyValuePair<string, Module>> children = [];
    readonly List<KeyValuePair<string, HalfWeight>> halfWeights = [];
    readonly List<string> parameterOrder = [];   // parameters and 16-bit weights, in registration order (PyTorch's parameters)
    readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>True in training mode (dropout active); set by <see cref="Train"/> and <see cref="Eval"/> on the whole tree.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Adds a trainable tensor (sets RequiresGrad) under <paramref name="name"/> and returns it.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        Claim(name);
        parameter.RequiresGrad = true;
        parameters.Add(new(name, parameter));
        parameterOrder.Add(name);
        return parameter;
    }

    /// <summary>Adds a non-trainable tensor that is saved and loaded with the state dict (e.g. running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        Claim(name);
        buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Adds a constant 16-bit weight (inference only, see <see cref="HalfWeight"/>) under <paramref name="name"/> and returns it.</summary>
    protected HalfWeight RegisterHalfWeight(string name, HalfWeight weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        Claim(name);
        halfWeights.Add(new(name, weight));
        parameterOrder.Add(name);
        return weight;
    }

    /// <summary>Adds a child module under <paramref name="name"/> and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        if (ReferenceEquals(module, this)) throw new ArgumentException($"a module cannot be its own child (\"{name}\")");
        Claim(name);
        children.Add(new(name, module));
        module.SetTraining(Training);
        return module;
    }

    void Claim(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"\"{name}\" is not a valid member name (non-empty, no '.')", nameof(name));
        if (!names.Add(name))
            throw new ArgumentException($"{GetType().Name} already has a member named \"{name}\"", nameof(name));
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => children;

    /// <summary>This module (name "") and every descendant, depth first, with dotted names.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedModules()
    {
        yield return new("", this);
        foreach (var (name, child) in children)
            foreach (var (sub, module) in child.NamedModules())
                yield return new(sub.Length == 0 ? name : name + "." + sub, module);
    }

    /// <summary>Every parameter with its state-dict key. A tensor shared by several modules (tied weights) appears once,
    /// under its first name, as in PyTorch.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, p) in module.parameters)
                if (seen.Add(p)) yield return new(Join(prefix, name), p);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(kv => kv.Value);

    /// <summary>Every buffer with its state-dict key.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, b) in module.buffers)
                yield return new(Join(prefix, name), b);
    }

    /// <summary>Every 16-bit weight (<see cref="HalfWeight"/>) with its state-dict key.</summary>
    public IEnumerable<KeyValuePair<string, HalfWeight>> NamedHalfWeights()
    {
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, w) in module.halfWeights)
                yield return new(Join(prefix, name), w);
    }

    /// <summary>Number of parameter elements (shared tensors counted once), 16-bit weights included.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Length) + NamedHalfWeights().Sum(w => w.Value.Elements);

    /// <summary>Bytes the parameters hold in memory: 4 per float32 element, 2 per element of a 16-bit weight.</summary>
    public long ParameterBytes() => 4 * Parameters().Sum(p => (long)p.Length) + 2 * NamedHalfWeights().Sum(w => w.Value.Elements);

    /// <summary>Parameter elements by in-memory type: F32 for parameters, F16 or BF16 for 16-bit weights.</summary>
    public IReadOnlyDictionary<SafeTensorsDType, long> ParameterElementsByType()
    {
        var counts = new Dictionary<SafeTensorsDType, long>();
        long f32 = Parameters().Sum(p => (long)p.Length);
        if (f32 > 0) counts[SafeTensorsDType.F32] = f32;
        foreach (var (_, w) in NamedHalfWeights())
        {
            var type = w.Format == HalfFormat.BFloat16 ? SafeTensorsDType.BF16 : SafeTensorsDType.F16;
            counts[type] = counts.GetValueOrDefault(type) + w.Elements;
        }
        return counts;
    }

    static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>Training mode for this module and every descendant.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.SetTraining(training);
        return this;
    }

    /// <summary>Evaluation mode (dropout off) for this module and every descendant.</summary>
    public Module Eval() => Train(false);

    void SetTraining(bool training) => Training = training;

    /// <summary>Stops gradients to every parameter (RequiresGrad = false): optimisers skip them.</summary>
    public void Freeze() => SetRequiresGrad(false);

    public void Unfreeze() => SetRequiresGrad(true);

    void SetRequiresGrad(bool requiresGrad)
    {
        foreach (var p in Parameters())
        {
            p.RequiresGrad = requiresGrad;
            if (!requiresGrad) p.ZeroGrad();
        }
    }

    /// <summary>Parameters and buffers by state-dict key, sharing storage with the module (PyTorch order; tied
    /// weights appear under every name). 16-bit weights are not included (<see cref="NamedHalfWeights"/>, <see cref="StateSlots"/>).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (prefix, module) in NamedModules())
        {
            foreach (var (name, p) in module.parameters) state[Join(prefix, name)] = p.Detach();
            foreach (var (name, b) in module.buffers) state[Join(prefix, name)] = b.Detach();
        }
        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the module's tensors (in place, so optimisers keep their references).
    /// Strict: any missing, unexpected or shape-mismatched key throws <see cref="StateDictMismatchException"/> and
    /// nothing is loaded. Not strict: every key that matches in name and shape is loaded and the report lists the
    /// rest (unlike PyTorch, a shape mismatch is reported, not thrown, so a resized head can be skipped).
    /// A lazy <see cref="ITensorStore"/> works as <paramref name="state"/>: each tensor is read once.
    /// </summary>
    public StateDictReport LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        var toLoad = new List<StateSlot>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slot in StateSlots())
        {
            targets.Add(slot.Key);
            if (!state.ContainsKey(slot.Key)) { missing.Add(slot.Key); continue; }
            toLoad.Add(slot);
        }
        var unexpected = state.Keys.Where(k => !targets.Contains(k)).ToList();

        // Shapes come from the header when the state is a lazy store, so a strict load that fails reads no data,
        // and one that succeeds holds a single converted tensor at a time.
        Func<string, int[]> shapeOf = state is ITensorStore store ? store.ShapeOf : key => state[key].ShapeArray();
        var matching = new List<StateSlot>();
        foreach (var slot in toLoad)
        {
            var found = shapeOf(slot.Key);
            if (found.AsSpan().SequenceEqual(slot.Shape)) matching.Add(slot);
            else mismatched.Add(new(slot.Key, found, slot.Shape));
        }

        var report = new StateDictReport(missing, unexpected, mismatched, matching.Count);
        if (strict && !report.IsClean) throw new StateDictMismatchException(GetType().Name, report);
        foreach (var slot in matching) slot.Load(state[slot.Key]);
        return report;
    }

    /// <summary>Every state-dict entry (parameters, buffers, 16-bit weights; tied tensors under every name) with its shape
    /// and how to load it: a float32 tensor is copied in place, a 16-bit weight is rounded to its format.</summary>
    public IEnumerable<StateSlot> StateSlots()
    {
        foreach (var (prefix, module) in NamedModules())
        {
            foreach (var name in module.parameterOrder)
            {
                if (module.parameters.FirstOrDefault(kv => kv.Key == name).Value is { } p) yield return new(Join(prefix, name), p.ShapeArray(), t => t.Data.CopyTo(p.Data));
                else
                {
                    var w = module.halfWeights.First(kv => kv.Key == name).Value;
                    yield return new(Join(prefix, name), w.Shape, w.Load);
                }
            }
            foreach (var (name, b) in module.buffers) yield return new(Join(prefix, name), b.ShapeArray(), t => t.Data.CopyTo(b.Data));
        }
    }
}

/// <summary>One state-dict entry of a module: its key, its shape, and how a tensor of that shape is loaded into it.</summary>
public sealed record StateSlot(string Key, int[] Shape, Action<Tensor> Load);

/// <summary>A module with one input and one output, the shape of most layers; <see cref="Sequential"/> chains them.</summary>
public abstract class Module<TInput, TOutput> : Module
{
    public abstract TOutput Forward(TInput input);
}
