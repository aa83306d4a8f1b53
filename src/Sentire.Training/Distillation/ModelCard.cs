using System.Globalization;
using System.Text;
using Sentire.Models.Student;

namespace Sentire.Training.Distillation;

/// <summary>The generated README.md of a distilled student: what it is, its numbers next to the teacher's, its data and limits.</summary>
public static class ModelCard
{
    public static string Write(StudentModelConfig config, TinyStudent model, StudentRecipe recipe, string recipePath, StudentEvaluation scores, int distillationClips, int epoch)
    {
        var c = CultureInfo.InvariantCulture;
        long parameters = model.ParameterCount();
        var sb = new StringBuilder();
        sb.AppendLine(c, $"# {config.Name}");
        sb.AppendLine();
        sb.AppendLine(c, $"A {parameters:N0}-parameter speech-emotion student on log-mel, distilled from `{config.Teacher}` (weights hash `{config.TeacherHash}`) in the manner of");
        sb.AppendLine("Wav2Small (Kounadis-Bastian et al., 2024): trained only on the teacher's outputs, never on a corpus label. Architecture: per-bin");
        sb.AppendLine("normalised 80-bin log-mel, a strided convolution stem, dilated depthwise-separable residual blocks, mean pooling over time,");
        sb.AppendLine(c, $"and two heads: {config.Labels.Count} category logits ({string.Join(", ", config.Labels)}) and arousal/valence/dominance in [0, 1]");
        sb.AppendLine("(`src/Sentire.Models/Student/TinyStudent.cs`, docs/student.md).");
        sb.AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(c, $"| parameters | {parameters:N0} (float32 weights: {parameters * 4 / 1024.0:F0} KiB) |");
        sb.AppendLine(c, $"| front end | {config.FrontEnd.SampleRate} Hz, n_fft {config.FrontEnd.NFft}, hop {config.FrontEnd.HopLength}, {config.FrontEnd.NMels} HTK mels, ln(power + {config.FrontEnd.LogFloor:G}) |");
        sb.AppendLine(c, $"| dimensions | {(config.DimensionsTrained ? "distilled from the teacher's arousal/valence/dominance" : "**untrained**: the teacher had no dimensional head; ignore the dimension outputs")} |");
        sb.AppendLine(c, $"| distillation audio | {distillationClips} clips of {string.Join(", ", recipe.Data.Corpora)} (labels unused; RAVDESS actors 17-20 {(recipe.Data.Exclude == DistillationExclude.None ? "**included**" : "excluded")}) |");
        sb.AppendLine(c, $"| best epoch | {epoch} of {recipe.Optim.Epochs} (lowest distillation loss on a {recipe.Data.ValidationFraction:P0} random share of the distillation clips) |");
        sb.AppendLine();
        sb.AppendLine(c, $"## Held-out evaluation: RAVDESS actors 17-20 ({scores.Clips} clips)");
        sb.AppendLine();
        static string Ccc(double[]? v, CultureInfo c) => v is null ? "n/a" : string.Join(" / ", v.Select(x => x.ToString("F3", c)));
        sb.AppendLine("| model | UAR | WAR | top-1 agreement with the teacher | CCC vs the teacher's dimensions (A / V / D) | CCC vs derived targets (A / V / D) |");
        sb.AppendLine("|---|---|---|---|---|---|");
        sb.AppendLine(c, $"| teacher `{config.Teacher}` | {scores.TeacherUar:P1} | {scores.TeacherWar:P1} | 100 % | 1 | {Ccc(scores.TeacherDimensionCccVsDerived, c)} |");
        sb.AppendLine(c, $"| student `{config.Name}` | {scores.Uar:P1} | {scores.War:P1} | {scores.TeacherAgreement:P1} | {Ccc(scores.DimensionCccVsTeacher, c)} | {Ccc(scores.DimensionCccVsDerived, c)} |");
        sb.AppendLine();
        sb.AppendLine("Derived targets place each true category on the arousal/valence/dominance circumplex (Russell & Mehrabian, 1977), scaled");
        sb.AppendLine("by RAVDESS intensity (src/Sentire.Training/Dimensions/DerivedDimensions.cs); they are weak targets, not human ratings.");
        sb.AppendLine("Chance UAR over 8 classes is 12.5 %. Speed and memory against the teacher: BENCHMARKS.md, section \"Tiny student\".");
        sb.AppendLine();
        sb.AppendLine("## Reproduce");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine(c, $"./sentire train student --teacher models/{config.Teacher} --recipe {recipePath.Replace('\\', '/')}");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("The recipe names every hyper-parameter. Exports: `sentire export onnx --model <this folder> --out student.onnx`, and the");
        sb.AppendLine("dependency-free C# class in export/standalone/ (docs/student.md).");
        sb.AppendLine();
        sb.AppendLine("## Data and licences");
        sb.AppendLine();
        sb.AppendLine(c, $"Distilled from the teacher's outputs on the development corpora {string.Join(", ", recipe.Data.Corpora)}; ../shared/corpora/README.md");
        sb.AppendLine("gives each one's licence or terms, several of them non-commercial or research-only (RAVDESS: CC BY-NC-SA 4.0). Those");
        sb.AppendLine("terms carry over to these weights: research use only. No audio is shipped here.");
        sb.AppendLine();
        sb.AppendLine("## Limits");
        sb.AppendLine();
        sb.AppendLine("- It copies its teacher, errors included; it cannot be better than the teacher except by chance, and it inherits the");
        sb.AppendLine("  teacher's corpus biases (acted speech, the languages of its corpora, RAVDESS clips truncated to 2.4 s).");
        sb.AppendLine(c, $"- {distillationClips} clips of distillation audio; Wav2Small used far more. Clips are cut to");
        sb.AppendLine(c, $"  {recipe.Data.MaxSeconds:G} s; for long recordings run it per speech segment.");
        sb.AppendLine("- The held-out set is one corpus (4 actors, English); numbers elsewhere will differ.");
        return sb.ToString();
    }
}
