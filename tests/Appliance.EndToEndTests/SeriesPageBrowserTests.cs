using Appliance.Demo;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>The dermatologist's pages in headless Chromium: worklist, a series side by side, calibrated and original.</summary>
public sealed class SeriesPageBrowserTests
{
    [Fact]
    public async Task Dermatologist_OpensASeries_TogglesCalibratedAndOriginal_ZoomsBothFramesTogether_AndEveryViewIsAudited()
    {
        using var folder = new TempFolder("series-page");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-SP", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var earlier = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-SP", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var latest = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;

        // Not signed in: a frame's address gives the sign-in page, not the image.
        using (var anonymous = HostPages.NewClient(suite.Host))
        {
            using var refused = await anonymous.GetAsync($"/Series/View/{latest.SeriesId}?handler=Frame&index=0&calibrated=false");
            Assert.Equal("/Account/Login", refused.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.NotEqual("image/png", refused.Content.Headers.ContentType?.MediaType);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, suite.WebCertificate);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var problems = PageProblems.Watch(page);
        await page.GotoAsync($"{suite.HostUrl}/Series");
        await page.FillAsync("input[name=UserName]", "dr.lee");
        await page.FillAsync("input[name=Password]", "dermatology 12345");
        await page.ClickAsync("#sign-in");

        // Newest first, with the patient shown to the dermatologist.
        var rows = page.Locator("#worklist tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        Assert.Equal(latest.SeriesId, await rows.First.GetAttributeAsync("data-series"));
        await Assertions.Expect(rows.First).ToContainTextAsync("TEST-PATIENT-SP");
        await rows.First.Locator("a").ClickAsync();

        var images = page.Locator(".viewport img");
        await Assertions.Expect(images).ToHaveCountAsync(2);
        await WaitLoadedAsync(page);
        Assert.All(await images.EvaluateAllAsync<string[]>("els => els.map(e => e.src)"), src => Assert.Contains("calibrated=true", src));
        var calibratedPixel = await CentrePixelAsync(page);
        await Assertions.Expect(page.Locator("#provenance")).ToContainTextAsync(latest.CalibrationId);
        await Assertions.Expect(page.Locator("#provenance")).ToContainTextAsync("ΔE00 on held-out patches");
        await Assertions.Expect(page.Locator(".scale .label").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9.]+ mm$"));
        await Assertions.Expect(page.Locator("#earlier a")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "series-calibrated.png"), FullPage = true });

        await page.ClickAsync("#toggle-calibrated");
        await Assertions.Expect(page.Locator("#toggle-calibrated")).ToHaveTextAsync("Showing original");
        await WaitLoadedAsync(page);
        Assert.All(await images.EvaluateAllAsync<string[]>("els => els.map(e => e.src)"), src => Assert.Contains("calibrated=false", src));
        Assert.NotEqual(calibratedPixel, await CentrePixelAsync(page)); // the calibrated rendering really differs
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "series-original.png"), FullPage = true });

        // Zoom on the left frame: the right one follows.
        await page.Locator(".viewport").First.HoverAsync();
        await page.Mouse.WheelAsync(0, -300);
        var transforms = await images.EvaluateAllAsync<string[]>("els => els.map(e => e.style.transform)");
        Assert.Contains("scale(1.25)", transforms[0]);
        Assert.Equal(transforms[0], transforms[1]);

        // Export from the page: a zip of one DICOM per frame; teaching is not offered without consent.
        Assert.True(await page.Locator("#export option[value=Teaching]").IsDisabledAsync());
        await page.SelectOptionAsync("#export select[name=format]", "Dicom");
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-series"));
        var zipPath = Path.Combine(folder.Path, "export.zip");
        await download.SaveAsAsync(zipPath);
        using (var zip = System.IO.Compression.ZipFile.OpenRead(zipPath))
        {
            Assert.Equal(3, zip.Entries.Count(e => e.Name.EndsWith(".dcm", StringComparison.Ordinal))); // an image per frame and the measurement report
        }

        var trail = suite.HostService<IAuditTrail>().ReadAll();
        Assert.Contains(trail, e => e.Kind == AuditKinds.SeriesExported && e.Subject == latest.SeriesId && e.Actor == "dr.lee");
        Assert.Contains(trail, e => e.Kind == AuditKinds.WorklistViewed && e.Actor == "dr.lee");
        Assert.Contains(trail, e => e.Kind == AuditKinds.SeriesViewed && e.Subject == latest.SeriesId && e.Actor == "dr.lee");
        Assert.Contains(trail, e => e.Kind == AuditKinds.FrameViewed && e.Subject == latest.SeriesId && e.Details.Contains("calibrated", StringComparison.Ordinal));
        Assert.Contains(trail, e => e.Kind == AuditKinds.FrameViewed && e.Subject == latest.SeriesId && e.Details.Contains("original", StringComparison.Ordinal));
        Assert.NotEqual(earlier.SeriesId, latest.SeriesId);
        problems.AssertNone();
    }

    [Fact]
    public async Task ClinicStaff_CannotOpenPatientsSeries()
    {
        using var folder = new TempFolder("series-page-clinic");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        host.Services.GetRequiredService<UserService>().Add("clinic.nurse", UserRoles.Clinic, "clinic password 1", "test");
        using var http = await HostPages.SignInAsync(host, "clinic.nurse", "clinic password 1");
        using var worklist = await http.GetAsync("/Series");
        Assert.Equal("/Account/Denied", worklist.RequestMessage!.RequestUri!.AbsolutePath);
    }

    private static async Task WaitLoadedAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.viewport img')].every(i => i.complete && i.naturalWidth > 0)");

    /// <summary>The centre pixel of the first frame as the browser decoded it.</summary>
    private static Task<int[]> CentrePixelAsync(IPage page) => page.EvaluateAsync<int[]>(@"() => {
        const img = document.querySelector('.viewport img');
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        return [...context.getImageData(img.naturalWidth / 2, img.naturalHeight / 2, 1, 1).data];
    }");
}
