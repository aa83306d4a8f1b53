using System.Diagnostics;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>The shell scripts a new user meets first (issue 15, items 14 and 15): scripts/setup.sh waits for the dpkg
/// lock, and ./sentire's freshness check (scripts/cli-stale.sh) counts sources, never build outputs.</summary>
public sealed class SetupScriptTests
{
    static (int Exit, string Out) Bash(string script, IReadOnlyList<string> args, string? path = null)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        if (path is not null) start.Environment["PATH"] = path;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), $"{script} did not finish in 30 s");
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void SetupWaitsForTheDpkgLockOnEveryAptGetCall()
    {
        // Stand-ins on PATH: dpkg says nothing is installed, apt-get and sudo record how they were called.
        var bin = Directory.CreateTempSubdirectory("sentire-setup").FullName;
        var log = Path.Combine(bin, "calls.log");
        void Tool(string name, string body)
        {
            var file = Path.Combine(bin, name);
            File.WriteAllText(file, $"#!/bin/sh\n{body}\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Tool("dpkg", "exit 1");
        Tool("apt-get", $"echo \"apt-get $*\" >> {log}");
        Tool("sudo", "\"$@\"");
        var (exit, output) = Bash(Path.Combine(RepoPaths.Root, "scripts", "setup.sh"), [], $"{bin}:/usr/bin:/bin");
        Assert.True(exit == 0, output);
        var calls = File.ReadAllLines(log);
        Assert.Equal(2, calls.Length);
        Assert.Contains(" update", calls[0]);
        Assert.Contains(" install", calls[1]);
        Assert.All(calls, c => Assert.Contains("-o DPkg::Lock::Timeout=600", c));
    }

    [Fact]
    public void TheCliIsRebuiltWhenSourcesChangeNotWhenBuildOutputsDo()
    {
        var root = Directory.CreateTempSubdirectory("sentire-stale").FullName;
        string Make(string relative)
        {
            var file = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "x");
            return file;
        }
        var sources = new[] { "src/Sentire.Cli/Program.cs", "src/Sentire.Cli/Sentire.Cli.csproj", "Directory.Build.props", "src/Directory.Build.props", "models/emotion-clap-small/config.json" };
        var outputs = new[] { "src/Sentire.Cli/obj/project.assets.json", "src/Sentire.Cli/bin/Release/net10.0/sentire.deps.json", "src/Sentire.Models/obj/Release/x.cs", "artifacts/test.json" };
        foreach (var f in sources.Concat(outputs)) Make(f);
        var stamp = Path.Combine(root, "artifacts", "cli", ".built");
        var script = Path.Combine(RepoPaths.Root, "scripts", "cli-stale.sh");

        Assert.Equal(0, Bash(script, [root, stamp]).Exit);                    // never built
        Directory.CreateDirectory(Path.GetDirectoryName(stamp)!);
        File.WriteAllText(stamp, "");
        var past = DateTime.UtcNow.AddMinutes(-5);
        foreach (var f in sources.Concat(outputs)) File.SetLastWriteTimeUtc(Path.Combine(root, f), past);
        Assert.Equal(1, Bash(script, [root, stamp]).Exit);                    // current

        foreach (var output in outputs)
        {
            File.SetLastWriteTimeUtc(Path.Combine(root, output), DateTime.UtcNow.AddMinutes(1));
            Assert.Equal(1, Bash(script, [root, stamp]).Exit);                // a test run wrote build outputs: still current
        }
        foreach (var source in sources)
        {
            File.SetLastWriteTimeUtc(Path.Combine(root, source), DateTime.UtcNow.AddMinutes(1));
            var (exit, changed) = Bash(script, [root, stamp]);
            Assert.Equal(0, exit);
            Assert.EndsWith(source, changed.Trim());
            File.SetLastWriteTimeUtc(Path.Combine(root, source), past);
        }
    }
}
