using Sentire.Models.Student;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Student;

/// <summary>TinyStudent against the same network in PyTorch (tools/golden/student_fixtures.py), and its package format.</summary>
public sealed class TinyStudentTests
{
    static (TinyStudent Model, Dictionary<string, Tensor> Io) Golden()
    {
        var all = SafeTensors.Read(RepoPaths.Fixture(Path.Combine("student", "tiny_student.safetensors")));
        var model = new TinyStudent(new TinyStudentConfig(), rngForInit: null);
        model.LoadStateDict(all.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value), strict: true);
        model.Eval();
        return (model, all.Where(kv => kv.Key.StartsWith("io.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["io.".Length..], kv => kv.Value));
    }

    static void AssertClose(Tensor expected, Tensor actual, float tolerance)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= tolerance, $"element {i}: expected {expected.Data[i]}, got {actual.Data[i]}");
    }

    [Fact]
    public void DefaultSizesHaveWav2SmallsBudget()
    {
        // stem 80*96*3 + 96 = 23,136; 5 blocks of (96*5 + 96) + (96*96 + 96) = 9,888; heads 96*8 + 8 + 96*3 + 3 = 1,067
        Assert.Equal(73_643, new TinyStudent(new TinyStudentConfig(), new Generator(1)).ParameterCount());
        Assert.Equal(50, new TinyStudentConfig().OutputFrames(100));
        Assert.Equal(51, new TinyStudentConfig().OutputFrames(101));
    }

    [Fact]
    public void PaddedBatchMatchesPyTorch()
    {
        var (model, io) = Golden();
        using var _ = Autograd.NoGrad();
        var (logits, dims) = model.Forward(io["mel"], [57, 40]);
        AssertClose(io["logits"], logits, 1e-4f);
        AssertClose(io["dimensions"], dims, 1e-5f);
    }

    [Fact]
    public void OneClipAloneMatchesPyTorchAndItsRowOfThePaddedBatch()
    {
        var (model, io) = Golden();
        using var _ = Autograd.NoGrad();
        var second = io["mel"].Narrow(0, 1, 1).Narrow(1, 0, 40);
        var (logits, dims) = model.Forward(second);
        AssertClose(io["logits_second_alone"], logits, 1e-4f);
        AssertClose(io["dimensions_second_alone"], dims, 1e-5f);
        AssertClose(io["logits"].Narrow(0, 1, 1), logits, 1e-4f);   // padding never leaks into a clip's output
    }

    [Fact]
    public void PackageRoundTripsAndRejectsOtherFormats()
    {
        var (model, io) = Golden();
        var folder = Directory.CreateTempSubdirectory("sentire-student").FullName;
        var config = new StudentModelConfig { Name = "t", Labels = ["a", "b", "c", "d", "e", "f", "g", "h"], Teacher = "x", TeacherHash = "0123" };
        StudentPackage.Save(folder, config, model, "# card\n");
        var (loadedConfig, loaded) = StudentPackage.Load(folder);
        Assert.Equal(config.Labels, loadedConfig.Labels);
        Assert.Equal(new TinyStudentConfig().BlockDilations, loadedConfig.Model.BlockDilations);
        Assert.Equal("# card\n", File.ReadAllText(Path.Combine(folder, StudentPackage.CardFile)));
        using (Autograd.NoGrad()) AssertClose(io["logits"], loaded.Forward(io["mel"], [57, 40]).Logits, 1e-4f);

        File.WriteAllText(Path.Combine(folder, StudentPackage.ConfigFile), "{\"format\": \"sentire-emotion-clap\"}");
        var e = Assert.Throws<InvalidDataException>(() => StudentPackage.Load(folder));
        Assert.Contains("expected 'sentire-emotion-student'", e.Message);
        Assert.Contains(StudentPackage.ConfigFile, e.Message);
    }
}
