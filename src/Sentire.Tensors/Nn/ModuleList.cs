using System.Collections;

namespace Sentire.Tensors.Nn;

/// <summary>An indexable list of child modules named "0", "1", ... (nn.ModuleList), e.g. the layers of an encoder:
/// their parameters are "layers.3.attention.q_proj.weight".</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    readonly List<T> items = [];

    public ModuleList() { }

    public ModuleList(IEnumerable<T> modules)
    {
        foreach (var m in modules) Add(m);
    }

    public void Add(T module) => items.Add(RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));

    public T this[int index] => items[index];
    public int Count => items.Count;
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
