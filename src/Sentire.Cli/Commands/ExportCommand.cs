using System.CommandLine;
using Sentire.Models.Student;
using Sentire.Tensors.Onnx;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire export onnx|standalone --model models/emotion-student-tiny --out FILE</c>: the student outside the engine.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var export = new Command("export", "Export a packaged student for use without the engine.");
        export.Subcommands.Add(Sub("onnx", "ONNX graph (opset 13) on log-mel input; the front end is in the model metadata.", "student.onnx",
            (folder, output) =>
            {
                var (config, model) = StudentPackage.Load(folder);
                var onnx = TinyStudentOnnx.Export(config, model);
                OnnxFile.Save(output, onnx);
                return $"{onnx.Graph.Nodes.Count} nodes, {onnx.Graph.Initializers.Count} initializers, opset {TinyStudentOnnx.Opset}";
            }));
        export.Subcommands.Add(Sub("standalone", "One weights file for export/standalone/TinyEmotionStudent.cs (System.* only).", "emotion-student-tiny.bin",
            (folder, output) =>
            {
                var (config, model) = StudentPackage.Load(folder);
                StandaloneWeights.Write(output, config, model);
                return $"{model.ParameterCount().ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} parameters";
            }));
        return export;
    }

    static Command Sub(string name, string description, string defaultOut, Func<string, string, string> run)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Packaged student folder.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("models", "emotion-student-tiny")) };
        var output = new Option<FileInfo>("--out") { Description = "Output file.", DefaultValueFactory = _ => new FileInfo(defaultOut) };
        var command = new Command(name, description) { model, output };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(model)!.FullName;
            var path = parse.GetValue(output)!.FullName;
            if (!Directory.Exists(folder)) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] model folder {folder} not found (--model)"); return 2; }
            var summary = run(folder, path);
            AnsiConsole.MarkupLineInterpolated($"wrote {path} ({new FileInfo(path).Length:N0} bytes; {summary})");
            return 0;
        });
        return command;
    }
}
