namespace Sentire.Tensors.Nn;

/// <summary>Layers applied in order; they are direct children named "0", "1", ... as nn.Sequential names them
/// (keys "0.weight", "2.bias").</summary>
public sealed class Sequential : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor>[] layers;

    public Sequential(params Module<Tensor, Tensor>[] layers)
    {
        this.layers = (Module<Tensor, Tensor>[])layers.Clone();
        for (int i = 0; i < layers.Length; i++)
            RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    public IReadOnlyList<Module<Tensor, Tensor>> Layers => layers;

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var layer in layers) x = layer.Forward(x);
        return x;
    }
}
