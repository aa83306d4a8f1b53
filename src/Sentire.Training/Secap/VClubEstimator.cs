using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Training.Secap;

/// <summary>
/// vCLUB's variational network q(y|x) = N(mu(x), diag(exp(logvar(x)))) as in the CLUB reference code: two MLPs
/// (Linear-ReLU-Linear), the log-variance one ending in tanh to keep the variance in [e^-1, e]. Fitted by maximum
/// likelihood on matched pairs in its own optimiser step (<see cref="Losses.VClub.NegativeLogLikelihood"/>).
/// </summary>
public sealed class VClubEstimator : Module
{
    public Sequential Mu { get; }
    public Sequential LogVar { get; }

    public VClubEstimator(int xDim, int yDim, int hidden, Generator rngForInit)
    {
        Mu = RegisterModule("p_mu", new Sequential(new Linear(xDim, hidden, rngForInit), new ReluModule(), new Linear(hidden, yDim, rngForInit)));
        LogVar = RegisterModule("p_logvar", new Sequential(new Linear(xDim, hidden, rngForInit), new ReluModule(), new Linear(hidden, yDim, rngForInit), new TanhModule()));
    }

    public (Tensor Mu, Tensor LogVar) Forward(Tensor x) => (Mu.Forward(x), LogVar.Forward(x));

    sealed class ReluModule : Module<Tensor, Tensor> { public override Tensor Forward(Tensor input) => input.Relu(); }
    sealed class TanhModule : Module<Tensor, Tensor> { public override Tensor Forward(Tensor input) => input.Tanh(); }
}
