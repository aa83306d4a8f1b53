using System.CommandLine;
using System.Reflection;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire version</c> (and <c>sentire --version</c>): version and which GEMM backend is active.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version (the same as sentire --version).");
        command.SetAction(_ => Print());
        return command;
    }

    /// <summary>The informational version (with the commit it was built from), e.g. "1.0.0+5bdb818".</summary>
    public static string Version
    {
        get
        {
            var assembly = typeof(VersionCommand).Assembly;
            return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
        }
    }

    public static int Print()
    {
        Console.WriteLine($"sentire {Version}");
        Console.WriteLine($"gemm: {Sentire.Tensors.Kernels.Gemm.BackendName}");
        return 0;
    }
}
