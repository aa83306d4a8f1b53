using System.Globalization;
using System.Text.Json;
using PuppeteerSharp;
using Sentire.Evaluation.Charts;
using Sentire.Tests.Common;

namespace Sentire.Server.Tests;

/// <summary>
/// The report charts in a real browser (Debian's Chromium, as <see cref="BrowserTests"/>): the committed report pages
/// (docs/reports/*/report.html) and a page of charts with long labels and titles, at desktop (1280) and phone (390)
/// width. Every text of every chart must lie inside its chart's box as Chromium lays it out, and the charts' text
/// width estimate (<see cref="TextMetrics"/>) must not be narrower than Chromium's (1 % for hinting). Screenshots go to
/// artifacts/screenshots/report-*.png.
/// </summary>
public sealed class ReportBrowserTests
{
    const string Chromium = "/usr/bin/chromium";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    // For each svg: each text's box against the svg's box (CSS px, after any scaling), its content, font size and
    // length in the svg's own units.
    const string Measure = """
        () => [...document.querySelectorAll('svg')].flatMap((svg, i) => {
          const box = svg.getBoundingClientRect();
          return [...svg.querySelectorAll('text')].map(t => {
            const b = t.getBoundingClientRect();
            return { chart: i, text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize), length: t.getComputedTextLength(),
                     outside: Math.max(box.left - b.left, b.right - box.right, box.top - b.top, b.bottom - box.bottom) };
          });
        })
        """;

    sealed record TextMeasure(int Chart, string Text, double Size, double Length, double Outside);

    static string LongLabelPage()
    {
        string[] labels = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "a speaker with a very long name"];
        var matrix = new double[labels.Length, labels.Length];
        for (int i = 0; i < labels.Length; i++) for (int j = 0; j < labels.Length; j++) matrix[i, j] = i == j ? 0.6 : 0.05;
        var charts = new[]
        {
            SvgCharts.Heatmap("emotion-clap-small on ravdess-17-20 (ravdess) under white noise at 5 dB SNR: recall (%) of each true class", labels, matrix),
            SvgCharts.Bars("UAR per speaker of a long-named corpus, every speaker of the test split", [.. labels.Select((l, i) => ($"speaker {l}", 10.0 * i))], "UAR (%)", max: 100, format: "0.0"),
            SvgCharts.Bars("Mean CCC per condition", [("clean", 0.41), ("white-noise-at-minus-5db-snr", -0.12)], "mean CCC (1 = perfect agreement)"),
            SvgCharts.Scatter("Predicted valence and arousal by true category", "valence (0 = negative, 1 = positive)", "arousal (0 = calm, 1 = excited)",
                [.. labels.Select((l, i) => (i / 8.0, 1 - i / 8.0, l))]),
        };
        return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
            "<style>body{font-family:sans-serif}figure svg{max-width:100%;height:auto}</style></head><body>" +
            string.Concat(charts.Select(c => $"<figure>{c}</figure>")) + "</body></html>";
    }

    [Fact]
    public async Task Every_chart_text_lies_inside_its_chart_in_chromium()
    {
        if (!File.Exists(Chromium)) Assert.Skip($"{Chromium} is not installed (scripts/setup.sh installs it)");
        var scratch = Directory.CreateTempSubdirectory("sentire-report-browser-");
        var longLabels = Path.Combine(scratch.FullName, "long-labels.html");
        File.WriteAllText(longLabels, LongLabelPage());
        var pages = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "docs", "reports")).Order(StringComparer.Ordinal)
            .Select(d => (Name: Path.GetFileName(d), File: Path.Combine(d, "report.html"))).Append(("long-labels", longLabels)).ToList();
        Assert.True(pages.Count >= 3, "no committed report pages under docs/reports");
        var screenshots = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "screenshots")).FullName;

        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Timeout = (int)Wait.TotalMilliseconds,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", $"--user-data-dir={Path.Combine(scratch.FullName, "profile")}"],
        });
        try
        {
            var page = await browser.NewPageAsync();
            page.DefaultTimeout = (int)Wait.TotalMilliseconds;
            foreach (var (name, file) in pages)
                foreach (var (width, device) in new[] { (1280, "desktop"), (390, "phone") })
                {
                    await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = 900 });
                    await page.GoToAsync(new Uri(file).AbsoluteUri);
                    var texts = (await page.EvaluateFunctionAsync<JsonElement>(Measure)).Deserialize<TextMeasure[]>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                    Assert.True(texts.Length > 50, $"{name}: only {texts.Length} chart texts");
                    foreach (var t in texts)
                    {
                        // half a CSS pixel for anti-aliasing and rounding
                        Assert.True(t.Outside <= 0.5, string.Create(CultureInfo.InvariantCulture,
                            $"{name} at {width} px, chart {t.Chart}: '{t.Text}' reaches {t.Outside:0.0} px outside its chart"));
                        // Chromium's SVG advances are hinted to a fraction of a pixel: the estimate may be 1 % short of them
                        Assert.True(TextMetrics.Width(t.Text, t.Size) >= 0.99 * t.Length, string.Create(CultureInfo.InvariantCulture,
                            $"'{t.Text}' at {t.Size} px: Chromium sets it {t.Length:0.00} px wide, the layout estimated {TextMetrics.Width(t.Text, t.Size):0.00}"));
                    }
                    await page.ScreenshotAsync(Path.Combine(screenshots, $"report-{name}-{device}.png"), new ScreenshotOptions { FullPage = true });
                }
        }
        finally
        {
            await browser.CloseAsync();
            browser.Dispose();
            scratch.Delete(recursive: true);
        }
    }
}
