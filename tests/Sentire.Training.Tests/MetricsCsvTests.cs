using Sentire.Training.Dimensions;

namespace Sentire.Training.Tests;

public sealed class MetricsCsvTests
{
    [Fact]
    public void WritesIntegersWholeAndResumesUpToAnEpoch()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-metrics-");
        try
        {
            var path = Path.Combine(folder.FullName, "metrics.csv");
            var csv = new MetricsCsv(path, ["epoch", "step", "loss"]);
            csv.Add(1, 1_234_567, 0.123456789);
            csv.Add(2, 2_469_134, 2.5);
            Assert.Equal(["epoch,step,loss", "1,1234567,0.123457", "2,2469134,2.5"], File.ReadAllLines(path));

            var resumed = new MetricsCsv(path, ["epoch", "step", "loss"]);
            resumed.LoadUpTo(1);                                   // the checkpoint is of epoch 1: epoch 2's row goes
            Assert.Equal([1, 1_234_567, 0.123457], Assert.Single(resumed.Rows));
            resumed.Add(2, 2_469_134, 3.5);
            Assert.Equal("2,2469134,3.5", File.ReadAllLines(path)[^1]);
            Assert.Throws<ArgumentException>(() => resumed.Add(3, 1));
        }
        finally { folder.Delete(recursive: true); }
    }

    [Fact]
    public void DimensionsRowsRoundTripAndCarryTheMean()
    {
        var m = new DimensionsEpochMetrics(3, 300, 0.5, 0.6, 0.3, 0.0, 1e-4, 12.5);
        var row = m.ToRow();
        Assert.Equal(DimensionsEpochMetrics.Columns.Count, row.Length);
        Assert.Equal(0.3, row[DimensionsEpochMetrics.Columns.ToList().IndexOf("valid_ccc_mean")], 12);
        Assert.Equal(m, DimensionsEpochMetrics.FromRow(row));
    }
}
