using System.CommandLine;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire version</c>: version and which GEMM backend is active.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"sentire {typeof(VersionCommand).Assembly.GetName().Version}");
            Console.WriteLine($"gemm: {Sentire.Tensors.Kernels.Gemm.BackendName}");
            return 0;
        });
        return command;
    }
}
