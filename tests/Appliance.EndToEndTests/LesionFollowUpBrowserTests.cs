using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// The dermatologist's follow-up in headless Chromium, on a lesion that grew between two visits
/// (the simulated camera's lesion made larger before the second capture): the table of the
/// lesion over visits, the comparison at one millimetre scale, the registered overlay answering
/// its blend and swipe control, and the ruler on a frame. Screenshots are kept with the test output.
/// </summary>
public sealed partial class LesionFollowUpBrowserTests
{
    [GeneratedRegex("^([0-9.]+) mm²$")]
    private static partial Regex AreaText();

    [Fact]
    public async Task ADermatologist_SeesTheLesionGrow_ComparesTwoVisitsOverlaid_AndMeasuresWithTheRuler()
    {
        using var folder = new TempFolder("lesion-follow-up");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-FU", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var earlier = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        // Between visits the lesion grew by a fifth in radius: about 44 % in area.
        suite.Camera.Scene = suite.Camera.Scene with { LesionRadius = suite.Camera.Scene.LesionRadius * 1.2 };
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-FU", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var later = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;

        await using var browser = await SignedInPage.OpenAsync(suite, "dr.lee", "dermatology 12345", $"/Series/View/{later.SeriesId}", 1400, 1000);
        var (page, problems) = (browser.Page, browser.Problems);

        // The lesion over visits: both measured, oldest first, the growth shown against the first.
        var rows = page.Locator("#lesion-visits tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        Assert.Equal(earlier.SeriesId, await rows.First.GetAttributeAsync("data-series"));
        var areas = await page.Locator("#lesion-visits td.area").AllInnerTextsAsync();
        var (firstArea, laterArea) = (Area(areas[0]), Area(areas[1]));
        Assert.InRange(laterArea / firstArea, 1.3, 1.6);
        await Assertions.Expect(rows.Nth(1).Locator("td.change")).ToContainTextAsync(new Regex(@"^\+[0-9]+ % area, \+[0-9.]+ mm, ΔE00 [0-9.]+$"));

        // The ruler: two clicks 300 screen pixels apart on the first frame read out in millimetres.
        await WaitImagesAsync(page, ".viewport img");
        await page.ClickAsync("#ruler");
        await Assertions.Expect(page.Locator("#ruler")).ToHaveAttributeAsync("aria-pressed", "true");
        var viewport = page.Locator(".viewport").First;
        var box = (await viewport.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + 50, box.Y + 100);
        await Assertions.Expect(page.Locator("#ruler-reading")).ToHaveTextAsync("Click the second point.");
        await page.Mouse.ClickAsync(box.X + 350, box.Y + 100);
        var pane = page.Locator(".pane").First;
        var frameWidth = double.Parse((await pane.GetAttributeAsync("data-width"))!, CultureInfo.InvariantCulture);
        var ppm = double.Parse((await pane.GetAttributeAsync("data-ppmm"))!, CultureInfo.InvariantCulture);
        var shownWidth = await page.Locator(".viewport img").First.EvaluateAsync<double>("img => img.getBoundingClientRect().width");
        var expectedMm = 300 / shownWidth * frameWidth / ppm;
        await Assertions.Expect(page.Locator("#ruler-reading")).ToHaveTextAsync(new Regex(@"^[0-9.]+ mm$"));
        var readMm = double.Parse((await page.Locator("#ruler-reading").InnerTextAsync()).Replace(" mm", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        Assert.InRange(readMm, expectedMm - 0.1, expectedMm + 0.1);
        Assert.True(await page.Locator(".pane").First.Locator(".ruler-line").IsVisibleAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("series-ruler.png"), FullPage = true });

        // Compare the two visits.
        await rows.First.Locator("a.compare").ClickAsync();
        await page.WaitForURLAsync($"**/Series/Compare/{earlier.SeriesId}/{later.SeriesId}");
        await WaitImagesAsync(page, "#side-by-side img, #overlay img");
        await Assertions.Expect(page.Locator("#change-area")).ToHaveTextAsync(new Regex(@"^\+[0-9.]+ mm² \(\+[0-9]+ %\)$"));
        await Assertions.Expect(page.Locator("#registration")).ToContainTextAsync("registered on the skin around the lesion");

        // One scale: screen pixels per millimetre are the same on both visits.
        var perMm = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('.visit')].map(v => v.querySelector('img').getBoundingClientRect().width / parseFloat(v.dataset.mmWidth))");
        Assert.Equal(perMm[0], perMm[1], 2);

        // The overlay answers its control: blend fades the later visit in, swipe reveals it from the left.
        var overlay = page.Locator("#overlay");
        var second = page.Locator("#overlay-second");
        await Assertions.Expect(second).ToHaveCSSAsync("opacity", "0.5");
        await page.Locator("#overlay-amount").FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await Assertions.Expect(second).ToHaveCSSAsync("opacity", "0");
        var onlyEarlier = await overlay.ScreenshotAsync();
        await page.Keyboard.PressAsync("End");
        await Assertions.Expect(second).ToHaveCSSAsync("opacity", "1");
        await Assertions.Expect(page.Locator("#overlay-value")).ToHaveTextAsync("100 %");
        var onlyLater = await overlay.ScreenshotAsync(new LocatorScreenshotOptions { Path = Screenshot("compare-overlay-later.png") });
        Assert.NotEqual(onlyEarlier, onlyLater);
        await page.CheckAsync("input[name=overlay-mode][value=swipe]");
        await page.Locator("#overlay-amount").FocusAsync();
        await page.Keyboard.PressAsync("Home");
        for (var i = 0; i < 6; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
        }

        await Assertions.Expect(page.Locator("#overlay-value")).ToHaveTextAsync("30 %");
        await Assertions.Expect(second).ToHaveCSSAsync("opacity", "1");
        await Assertions.Expect(second).ToHaveCSSAsync("clip-path", "inset(0px 70% 0px 0px)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("compare-swipe.png"), FullPage = true });

        var trail = suite.HostService<IAuditTrail>().ReadAll();
        Assert.Contains(trail, e => e.Kind == AuditKinds.SeriesViewed && e.Subject == earlier.SeriesId && e.Details == $"compared with {later.SeriesId}");
        Assert.Contains(trail, e => e.Kind == AuditKinds.FrameViewed && e.Subject == later.SeriesId && e.Details == "compare registered");
        problems.AssertNone();
    }

    [Fact]
    public async Task TwoSeriesOfDifferentLesions_AreNotCompared()
    {
        using var folder = new TempFolder("lesion-compare-refused");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-FR", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var one = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-FR", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L2");
        var other = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        using var http = await HostPages.SignInAsync(suite.Host, "dr.lee", "dermatology 12345");

        using var page = await http.GetAsync($"/Series/Compare/{one.SeriesId}/{other.SeriesId}");
        using var image = await http.GetAsync($"/Series/Compare/{one.SeriesId}/{other.SeriesId}?handler=Image&which=registered");
        using var missing = await http.GetAsync($"/Series/Compare/{one.SeriesId}/no-such-series");

        Assert.Equal(System.Net.HttpStatusCode.Conflict, page.StatusCode);
        Assert.Contains("are not visits of the same lesion", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, image.StatusCode);
        Assert.NotEqual("image/png", image.Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static double Area(string text) => double.Parse(AreaText().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);

    private static string Screenshot(string name) => Path.Combine(AppContext.BaseDirectory, "screenshots", name);

    private static async Task WaitImagesAsync(IPage page, string selector) =>
        await page.WaitForFunctionAsync($"() => [...document.querySelectorAll('{selector}')].every(i => i.complete && i.naturalWidth > 0)");
}
