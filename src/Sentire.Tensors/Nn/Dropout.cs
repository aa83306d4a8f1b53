namespace Sentire.Tensors.Nn;

/// <summary>nn.Dropout (inverted): active only in training mode, drawing masks from its own generator.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    readonly Generator rng;
    public float P { get; }

    public Dropout(float p, Generator rng)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1], got {p}");
        P = p;
        this.rng = rng;
    }

    public override Tensor Forward(Tensor input) => input.Dropout(P, rng, Training);
}
