using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Sentire.Server;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire serve</c>: the HTTP and live-streaming service with its web page (<see cref="SentireService"/>; routes,
/// limits and the stream protocol in docs/service.md). Loopback by default: <c>--host 0.0.0.0</c> must be asked for.
/// The models are the command line's: <c>--model</c> as in <c>analyze</c>, <c>--caption-model</c> as in <c>caption</c>.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Emotion model folder (default: the embedded model, or SENTIRE_MODEL)." };
        var captionModel = new Option<string?>("--caption-model") { Description = "Captioning model folder (default: the shipped secap-small, or SENTIRE_CAPTION_MODEL)." };
        var noCaption = new Option<bool>("--no-caption") { Description = "Serve without a captioning model (saves its memory and start-up time)." };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0: every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port.", DefaultValueFactory = _ => 8080 };
        var maxUpload = new Option<double>("--max-upload-mb") { Description = "Largest upload, in MB (10^6 bytes).", DefaultValueFactory = _ => 50 };
        var maxDuration = new Option<double>("--max-duration") { Description = "Longest audio (upload or stream), in seconds.", DefaultValueFactory = _ => 1800 };
        var workers = new Option<int>("--workers") { Description = "Analyses that run at once (default: one per core).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a worker before the server answers 503 (default: 2 per core).", DefaultValueFactory = _ => 2 * Environment.ProcessorCount };
        var timeout = new Option<double>("--timeout") { Description = "Per-request timeout in seconds (waiting and running); past it, 504.", DefaultValueFactory = _ => 60 };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "File holding the API key (else SENTIRE_API_KEY; neither: no key needed)." };
        var corsOrigin = new Option<string[]>("--cors-origin") { Description = "Allow this origin through CORS (repeatable; default: CORS off).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("serve", "Serve emotion recognition over HTTP and WebSocket, with a web page.")
            { model, captionModel, noCaption, host, port, maxUpload, maxDuration, workers, queue, timeout, apiKeyFile, corsOrigin };
        command.SetAction(parse =>
        {
            string modelFolder;
            string? captionFolder = null;
            try
            {
                modelFolder = ModelLocator.Resolve(parse.GetValue(model));
                if (!parse.GetValue(noCaption)) captionFolder = CaptionCommand.ResolveModel(parse.GetValue(captionModel));
            }
            catch (IOException e) { return Usage(e.Message); }
            string? key = Environment.GetEnvironmentVariable("SENTIRE_API_KEY");
            if (parse.GetValue(apiKeyFile) is { } keyFile)
            {
                try { key = File.ReadAllText(keyFile).Trim(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Usage($"--api-key-file {keyFile}: {e.Message}"); }
            }
            if (!System.Net.IPAddress.TryParse(parse.GetValue(host), out _)) return Usage($"--host must be an IP address such as 127.0.0.1 or 0.0.0.0, got '{parse.GetValue(host)}'");
            var options = new ServeOptions
            {
                ModelFolder = modelFolder, CaptionModelFolder = captionFolder, Host = parse.GetValue(host)!, Port = parse.GetValue(port),
                MaxUploadBytes = (long)(parse.GetValue(maxUpload) * 1_000_000), MaxDurationSeconds = parse.GetValue(maxDuration),
                Workers = parse.GetValue(workers), QueueLength = parse.GetValue(queue), RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                ApiKey = string.IsNullOrEmpty(key) ? null : key, CorsOrigins = parse.GetValue(corsOrigin) ?? [],
            };
            if (options.Problems() is { Count: > 0 } problems) return Usage(string.Join("; ", problems));
            var app = SentireService.Build(options);
            app.Start();
            var address = SentireService.Address(app);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sentire serve: listening on {address} ({options.Workers} workers, queue {options.QueueLength}{(options.ApiKey is null ? "" : ", API key required")}); loading {Path.GetFileName(modelFolder)}{(captionFolder is null ? "" : " and " + Path.GetFileName(captionFolder))}; Ctrl+C stops"));
            app.WaitForShutdown();
            return 0;
        });
        return command;
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire serve: {message}");
        return 2;
    }
}
