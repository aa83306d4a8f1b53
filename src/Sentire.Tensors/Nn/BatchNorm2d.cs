namespace Sentire.Tensors.Nn;

/// <summary>
/// nn.BatchNorm2d (also right for BatchNorm1d's (N, C, L)) on (N, C, *) (Ioffe and Szegedy 2015): keys "weight" (ones, C),
/// "bias" (zeros, C) and the buffers "running_mean" (zeros), "running_var" (ones) and "num_batches_tracked" (a count,
/// a rank-0 float). In training mode the batch's statistics normalise and the running ones move by
/// <see cref="Momentum"/>; in evaluation mode (<see cref="Module.Eval"/>) the running ones normalise.
/// </summary>
public sealed class BatchNorm2d : Module<Tensor, Tensor>
{
    public int Channels { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    public Tensor NumBatchesTracked { get; }

    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        if (channels <= 0) throw new ArgumentException($"BatchNorm2d needs a positive channel count, got {channels}");
        if (!(momentum is >= 0 and <= 1)) throw new ArgumentException($"BatchNorm2d momentum must be in [0, 1], got {momentum}");
        (Channels, Eps, Momentum) = (channels, eps, momentum);
        Weight = RegisterParameter("weight", Tensor.Ones(channels));
        Bias = RegisterParameter("bias", Tensor.Zeros(channels));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(channels));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(channels));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros());
    }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank < 2 || input.Dim(1) != Channels)
            throw new ArgumentException($"BatchNorm2d({Channels}) expects (N, {Channels}, *), found {input.ShapeString}");
        if (Training) NumBatchesTracked.Data[0] += 1;
        return input.BatchNorm(RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps);
    }
}
