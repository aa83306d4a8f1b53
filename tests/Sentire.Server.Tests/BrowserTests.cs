using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using PuppeteerSharp;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Server.Tests;

/// <summary>
/// The page in a real browser: Debian's Chromium (apt package <c>chromium</c>, installed by scripts/setup.sh) driven by
/// PuppeteerSharp against a Kestrel server on 127.0.0.1. Uploads a sample clip and checks the shown top label against
/// the API's answer (and the caption); then live mode with Chromium's fake microphone playing a speech file, checking that stream
/// messages arrive and the chart grows. Screenshots at desktop (1280) and phone (390) widths go to
/// artifacts/screenshots/. Every wait is bounded; the browser and the server are closed whatever happens.
/// </summary>
public sealed class BrowserTests
{
    const string Chromium = "/usr/bin/chromium";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    // no IsMobile/HasTouch: changing those reloads the page in Chromium, losing what it shows
    static readonly ViewPortOptions Phone = new() { Width = 390, Height = 844 };
    static string Screenshots => Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "screenshots")).FullName;

    [Fact]
    public async Task UploadAndLiveModeShowWhatTheApiSays()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is not installed (scripts/setup.sh installs it)");
        var cancel = TestContext.Current.CancellationToken;
        var scratch = Directory.CreateTempSubdirectory("sentire-browser-");
        // the fake microphone: a sample clip three times over, 16-bit WAV
        var speech = new Conditioner(new ConditioningOptions { SampleRate = 16000 }).Apply(AudioFile.Read(TestServers.SampleClips[3]));
        var microphone = Path.Combine(scratch.FullName, "microphone.wav");
        WavWriter.Write(microphone, AudioClip.FromMono([.. speech, .. speech, .. speech], 16000));

        await using var app = await TestServers.StartOnLoopback(new ServeOptions
        {
            ModelFolder = TestServers.TeacherModel, CaptionModelFolder = TestServers.CaptionModel, Workers = 2, QueueLength = 4,
        });
        var address = SentireService.Address(app);
        var clip = TestServers.SampleClips[0];
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Wait };
        var content = new ByteArrayContent(File.ReadAllBytes(clip));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/flac");
        var api = JsonNode.Parse(await (await http.PostAsync("/v1/analyze?caption=true", content, cancel)).Content.ReadAsStringAsync(cancel))!;
        var apiTop = api["emotions"]![0]!["label"]!.GetValue<string>();

        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Timeout = (int)Wait.TotalMilliseconds,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", $"--user-data-dir={Path.Combine(scratch.FullName, "profile")}", "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", $"--use-file-for-fake-audio-capture={microphone}",
            ],
        });
        try
        {
            var page = await browser.NewPageAsync();
            page.DefaultTimeout = (int)Wait.TotalMilliseconds;
            await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
            await page.GoToAsync(address);
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.startsWith('Ready')");

            // a file: the page shows the API's top label
            var input = await page.QuerySelectorAsync("#file");
            await input.UploadFileAsync(clip);
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === 'Done.'");
            var shown = await page.EvaluateExpressionAsync<string>("document.getElementById('top-label').textContent");
            Assert.Equal(apiTop, shown);
            var bars = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#bars li').length");
            Assert.Equal(6, bars);
            // the caption, as the page asks for one when the server has a captioner
            Assert.Equal($"“{api["caption"]!.GetValue<string>()}”", await page.EvaluateExpressionAsync<string>("document.getElementById('caption').textContent"));
            Assert.False(await page.EvaluateExpressionAsync<bool>("document.getElementById('caption').hidden"));
            await page.ScreenshotAsync(Path.Combine(Screenshots, "file-desktop.png"), new ScreenshotOptions { FullPage = true });
            await page.SetViewportAsync(Phone);
            await page.ScreenshotAsync(Path.Combine(Screenshots, "file-phone.png"), new ScreenshotOptions { FullPage = true });

            // live: the fake microphone streams; window messages arrive and the chart grows
            await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });
            await page.ClickAsync("#live");
            await page.WaitForFunctionAsync("() => Number(document.getElementById('chart').dataset.points) >= 2");
            int first = await page.EvaluateExpressionAsync<int>("Number(document.getElementById('chart').dataset.points)");
            await page.WaitForFunctionAsync($"() => Number(document.getElementById('chart').dataset.points) > {first}");
            Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#chart polyline').length > 0 ? 2 : 0"));
            Assert.Contains(await page.EvaluateExpressionAsync<string>("document.getElementById('top-label').textContent"),
                api["emotions"]!.AsArray().Select(e => e!["label"]!.GetValue<string>()));
            await page.ScreenshotAsync(Path.Combine(Screenshots, "live-desktop.png"), new ScreenshotOptions { FullPage = true });
            await page.SetViewportAsync(Phone);
            await page.ScreenshotAsync(Path.Combine(Screenshots, "live-phone.png"), new ScreenshotOptions { FullPage = true });
            await page.ClickAsync("#live");
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === 'Recording analysed.'");
            var metrics = await http.GetStringAsync("/metrics", cancel);
            Assert.Contains("sentire_stream_window_latency_seconds_count ", metrics);
        }
        finally
        {
            await browser.CloseAsync();
            browser.Dispose();
            scratch.Delete(recursive: true);
        }
    }
}
