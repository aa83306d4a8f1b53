using Sentire.IO;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;

namespace Sentire.Tensors.Tests;

public sealed class CheckpointTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sentire-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Parameters and a buffer, no ops needed: a "head" child with weight/bias and a running count.</summary>
    sealed class TinyModel : Module
    {
        public Tensor Scale { get; }
        public Head Head { get; }

        public TinyModel(float fill)
        {
            Scale = RegisterParameter("scale", Tensor.Full(fill, 3));
            Head = RegisterModule("head", new Head(fill));
        }
    }

    sealed class Head : Module
    {
        public Tensor Weight { get; }
        public Tensor Seen { get; }

        public Head(float fill)
        {
            Weight = RegisterParameter("weight", Tensor.Full(fill * 2, 2, 3));
            Seen = RegisterBuffer("num_batches_tracked", Tensor.Full(fill * 10, 1));
        }
    }

    static (TinyModel Model, AdamW Optimizer) Trained(float fill, int steps)
    {
        var model = new TinyModel(fill);
        var adamw = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters(), 0.1), learningRate: 0.01);
        for (int s = 0; s < steps; s++)
        {
            foreach (var p in model.Parameters()) p.Grad = Tensor.Full(0.5f + s, p.ShapeArray());
            adamw.Step();
        }
        return (model, adamw);
    }

    static TrainingState State(int epoch) => new()
    {
        Epoch = epoch,
        Step = 1234,
        RngSeeds = new Dictionary<string, ulong> { ["init"] = 42, ["data"] = ulong.MaxValue },
        Metrics = new Dictionary<string, double> { ["valid/uar"] = 0.61, ["train/loss"] = double.NaN },
        Recipe = "name: \"ser-base\"\nlr: 3e-4\n",
    };

    [Fact]
    public void SaveThenRestoreGivesBackWeightsOptimizerStateAndTrainingState()
    {
        var path = Path.Combine(dir, "ckpt.safetensors");
        var (model, adamw) = Trained(1f, steps: 2);
        Checkpoint.Save(path, model, adamw, State(epoch: 3));

        var (fresh, freshOptimizer) = Trained(9f, steps: 0);
        var state = Checkpoint.Restore(path, fresh, freshOptimizer);
        Assert.Equal(model.Scale.Data.ToArray(), fresh.Scale.Data.ToArray());
        Assert.Equal(model.Head.Weight.Data.ToArray(), fresh.Head.Weight.Data.ToArray());
        Assert.Equal(10f, fresh.Head.Seen.Item());
        var expectedState = adamw.StateDict();
        var restoredState = freshOptimizer.StateDict();
        Assert.Equal(expectedState.Keys.Order(), restoredState.Keys.Order());
        foreach (var (key, t) in expectedState) Assert.Equal(t.Data.ToArray(), restoredState[key].Data.ToArray());
        Assert.Equal(2f, restoredState["head.weight.step"].Item());

        Assert.Equal(3, state.Epoch);
        Assert.Equal(1234, state.Step);
        Assert.Equal(ulong.MaxValue, state.RngSeeds["data"]);
        Assert.Equal(0.61, state.Metrics["valid/uar"]);
        Assert.True(double.IsNaN(state.Metrics["train/loss"]));
        Assert.Equal("name: \"ser-base\"\nlr: 3e-4\n", state.Recipe);

        // The weights are plain safetensors under "model.*".
        var plain = SafeTensors.Read(path);
        Assert.Equal(model.Scale.Data.ToArray(), plain["model.scale"].Data.ToArray());
        Assert.Equal([10f], plain["model.head.num_batches_tracked"].Data.ToArray());
    }

    /// <summary>A stream that accepts <c>limit</c> bytes and then fails, as a process killed mid-write would stop.</summary>
    sealed class FailingStream(Stream inner, long limit) : Stream
    {
        long written;
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (written + buffer.Length > limit) throw new IOException("simulated crash mid-write");
            inner.Write(buffer);
            written += buffer.Length;
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void CrashMidWriteLeavesThePreviousCheckpointLoadable()
    {
        var path = Path.Combine(dir, "ckpt.safetensors");
        var (oldModel, oldOptimizer) = Trained(1f, steps: 1);
        Checkpoint.Save(path, oldModel, oldOptimizer, State(epoch: 1));
        var oldBytes = File.ReadAllBytes(path);

        // Same keys and shapes, so the new file has the old one's size: fail 8 bytes before its end, in the data.
        var (newModel, newOptimizer) = Trained(5f, steps: 3);
        Assert.Throws<IOException>(() => Checkpoint.Save(path, newModel.StateDict(), newOptimizer.StateDict(), State(epoch: 2),
            stream => new FailingStream(stream, limit: oldBytes.Length - 8)));
        Assert.Equal(oldBytes, File.ReadAllBytes(path));
        Assert.Equal(1, Checkpoint.Load(path).State.Epoch);

        // A hard kill cannot clean up: it leaves a torn temporary file beside the checkpoint. Loading ignores it
        // and the next save succeeds.
        File.WriteAllBytes(Path.Combine(dir, ".ckpt.safetensors" + AtomicFile.TempMarker + "dead"), oldBytes[..100]);
        var loaded = Checkpoint.Load(path);
        Assert.Equal(oldModel.Scale.Data.ToArray(), loaded.Weights["scale"].Data.ToArray());
        Checkpoint.Save(path, newModel, newOptimizer, State(epoch: 2));
        Assert.Equal(2, Checkpoint.Load(path).State.Epoch);
        Assert.Equal(newModel.Head.Weight.Data.ToArray(), Checkpoint.Load(path).Weights["head.weight"].Data.ToArray());
    }

    [Fact]
    public void PlainSafetensorsFileIsNotTakenForACheckpoint()
    {
        var path = Path.Combine(dir, "weights.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) });
        var e = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path));
        Assert.Equal(path + ": not a Sentire checkpoint (metadata \"format\" is absent, expected \"sentire-checkpoint\")", e.Message);
    }
}
