namespace Sentire.Training;

/// <summary>Where a run stands, for progress displays: the phase ("features", "train", or an epoch's summary line),
/// epoch of epochs, step of steps in that phase, the running mean loss and the learning rate.</summary>
public sealed record TrainingProgress(string Phase, int Epoch, int Epochs, int Step, int Steps, double Loss, double LearningRate);
