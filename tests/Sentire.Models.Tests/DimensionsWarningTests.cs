using Sentire.Models.Clap;
using Sentire.Models.Published;
using Sentire.Models.Student;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests;

/// <summary><see cref="IEmotionAnalyzer.DimensionsWarning"/> of each analyzer kind (what `sentire analyze` warns with):
/// a model that should have arousal/valence/dominance and cannot give them is warned about; a model that has them, or
/// never had them by design, is not.</summary>
public sealed class DimensionsWarningTests
{
    [Fact]
    public void EmoClapPackageWarnsOnlyAboutAHeadItNamesAndCannotUse()
    {
        IEmotionAnalyzer withHead = EmotionRecognizer.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small"));
        Assert.True(withHead.HasDimensions);
        Assert.Null(withHead.DimensionsWarning);

        IEmotionAnalyzer stale = EmotionRecognizer.Load(DimensionalHeadTests.PackageWithStaleHead());
        Assert.False(stale.HasDimensions);
        Assert.NotNull(stale.DimensionsWarning);
        Assert.Contains("another speech encoder", stale.DimensionsWarning);

        IEmotionAnalyzer withoutHead = EmotionRecognizer.Load(DimensionalHeadTests.PackageWithoutHead());
        Assert.False(withoutHead.HasDimensions);
        Assert.NotNull(withoutHead.DimensionsProblem);                     // `sentire report` still says why
        Assert.Null(withoutHead.DimensionsWarning);
    }

    [Fact]
    public void StudentWarnsWhenItsDimensionHeadIsUntrained()
    {
        var shipped = Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");
        IEmotionAnalyzer trained = StudentRecognizer.Load(shipped);
        Assert.True(trained.HasDimensions);
        Assert.Null(trained.DimensionsWarning);

        var folder = Directory.CreateTempSubdirectory("sentire-student").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(shipped)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var configPath = Path.Combine(folder, StudentPackage.ConfigFile);
            var config = File.ReadAllText(configPath);
            Assert.Contains("\"dimensions_trained\": true", config);
            File.WriteAllText(configPath, config.Replace("\"dimensions_trained\": true", "\"dimensions_trained\": false"));
            IEmotionAnalyzer untrained = StudentRecognizer.Load(folder);
            Assert.False(untrained.HasDimensions);
            Assert.Equal("emotion-student-tiny: its teacher had no dimensional head, so the student's dimension head is untrained", untrained.DimensionsWarning);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PublishedModelsNeverWarnACategoricalModelHasNoDimensionsByDesign()
    {
        var categorical = EmotionModels.Load(RepoPaths.Fixture("onnx-emotion/categorical"));
        Assert.IsType<PublishedEmotionAnalyzer>(categorical);
        Assert.False(categorical.HasDimensions);
        Assert.NotNull(categorical.DimensionsProblem);
        Assert.Null(categorical.DimensionsWarning);

        var dimensional = EmotionModels.Load(RepoPaths.Fixture("onnx-emotion/dimensional"));
        Assert.True(dimensional.HasDimensions);
        Assert.Null(dimensional.DimensionsWarning);
    }
}
