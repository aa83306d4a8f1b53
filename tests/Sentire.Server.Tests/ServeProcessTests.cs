using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Sentire.Server.Tests;

/// <summary>
/// <c>sentire serve</c> as its own process, as a person starts it: the built command line (sentire.dll) on a free
/// loopback port, ready within a bound, answering as <c>sentire analyze --json</c>, listening on 127.0.0.1 unless told
/// otherwise, and stopping cleanly on Ctrl+C (SIGINT) or SIGTERM. Every wait is bounded; the process is killed if a
/// check fails.
/// </summary>
public sealed partial class ServeProcessTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;
    static string CliDll => typeof(Cli.Program).Assembly.Location;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    const int SigInt = 2, SigTerm = 15;

    /// <summary>A TCP port no one listens on now (the kernel's pick for port 0).</summary>
    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The command line in a process of its own, with SIGINT's default disposition (as a shell gives a foreground
    /// command): a test run started from a background job inherits SIGINT ignored, which the .NET runtime then leaves
    /// ignored, so Ctrl+C would never reach the server (SigIgn 0x6 in /proc/PID/status; coreutils' env resets it).</summary>
    static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(CliDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("SENTIRE_API_KEY");
        return Process.Start(start)!;
    }

    /// <summary>The addresses that listen on TCP <paramref name="port"/>: IPv4 from /proc/net/tcp as dotted quads, any
    /// IPv6 listener from /proc/net/tcp6 as "ipv6 " and its hex.</summary>
    static List<string> Listeners(int port)
    {
        var found = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] != "0A" || int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != port) continue;   // 0A: LISTEN
                found.Add(local[0].Length == 8
                    ? new IPAddress(BitConverter.GetBytes(uint.Parse(local[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToString()
                    : "ipv6 " + local[0]);
            }
        }
        return found;
    }

    [Fact]
    public async Task TheServeCommandAnswersAsAnalyzeOnLoopbackAndStopsOnCtrlC()
    {
        var clip = TestServers.SampleClips[1];
        int port = FreePort();
        var stderr = new StringBuilder();
        using var server = Start("serve", "--model", TestServers.TeacherModel, "--no-caption", "--port", port.ToString(CultureInfo.InvariantCulture));
        server.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        server.BeginErrorReadLine();
        server.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            var ready = Stopwatch.StartNew();
            HttpStatusCode? status = null;
            while (status != HttpStatusCode.OK)
            {
                Assert.False(server.HasExited, $"sentire serve exited with {(server.HasExited ? server.ExitCode : 0)}: {stderr}");
                Assert.True(ready.Elapsed < TimeSpan.FromSeconds(90), $"/readyz not ready after 90 s (last: {status}); stderr: {stderr}");
                try { status = (await http.GetAsync("/readyz", Cancel)).StatusCode; }
                catch (HttpRequestException) { }   // not listening yet
                if (status != HttpStatusCode.OK) await Task.Delay(100, Cancel);
            }

            // --host defaults to 127.0.0.1: the only listener on the port, IPv4 or IPv6, is the loopback address
            Assert.Equal(["127.0.0.1"], Listeners(port));
            lock (stderr) Assert.Contains($"listening on http://127.0.0.1:{port}", stderr.ToString());

            using var content = TestServers.Audio(clip);
            using var response = await http.PostAsync("/v1/analyze", content, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var served = await response.Json();

            using var analyze = Start("analyze", clip, "--model", TestServers.TeacherModel, "--json");
            var printed = await analyze.StandardOutput.ReadToEndAsync(Cancel);
            Assert.True(analyze.WaitForExit(TimeSpan.FromSeconds(60)), "sentire analyze did not finish in 60 s");
            Assert.Equal(0, analyze.ExitCode);
            var expected = JsonNode.Parse(printed)!.AsObject();
            Assert.Equal(clip, expected["file"]!.GetValue<string>());
            Assert.Equal("upload", served["file"]!.GetValue<string>());
            expected.Remove("file");
            served.Remove("file");
            Assert.Equal(expected.ToJsonString(), served.ToJsonString());

            // Ctrl+C: a clean stop, exit code 0, within a bound
            Assert.Equal(0, Kill(server.Id, SigInt));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), $"sentire serve did not stop within 20 s of SIGINT; its stderr: {stderr}");
            Assert.Equal(0, server.ExitCode);
            lock (stderr) Assert.DoesNotContain("Exception", stderr.ToString());
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task SigtermStopsTheServerCleanlyAndFreesThePort()
    {
        int port = FreePort();
        using var server = Start("serve", "--model", TestServers.StudentModel, "--no-caption", "--port", port.ToString(CultureInfo.InvariantCulture));
        var output = server.StandardError.ReadToEndAsync(Cancel);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var listening = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(server.HasExited, "sentire serve exited before it listened");
                Assert.True(listening.Elapsed < TimeSpan.FromSeconds(60), "sentire serve did not answer /healthz within 60 s");
                try { if ((await http.GetAsync("/healthz", Cancel)).StatusCode == HttpStatusCode.OK) break; }
                catch (HttpRequestException) { }
                await Task.Delay(100, Cancel);
            }
            Assert.Equal(0, Kill(server.Id, SigTerm));
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), "sentire serve did not stop within 20 s of SIGTERM");
            Assert.Equal(0, server.ExitCode);
            Assert.DoesNotContain("Exception", await output.WaitAsync(TimeSpan.FromSeconds(5), Cancel));
            Assert.Empty(Listeners(port));   // the port is free again
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }
}
