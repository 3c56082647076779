using System.Globalization;
using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// The dermatologist's series page in headless Chromium shows the overview with the lesion
/// circled, beside the body map with the lesion's mark: the circle, drawn from the aim the
/// appliance sent, encloses the lesion as found in the filed pixels (the darkest blob, found by
/// this test, not from the simulator's scene).
/// </summary>
public sealed class OverviewSeriesPageBrowserTests
{
    [Fact]
    public async Task TheOverview_IsShownWithTheLesionCircled_BesideTheBodyMapMark()
    {
        using var folder = new TempFolder("overview-page");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        var fleet = suite.HostService<FleetState>();
        var mark = new BodyMapMark(BodyView.Front, 0.84, 0.42);
        var request = CaptureJobRequest.WithVerbalConsent(suite.DeviceId, "TEST-PATIENT-OP", "left forearm", ConsentScope.DirectCare, "L1") with { Overview = true, Mark = mark };
        var waitingForOverview = OverviewEndToEndTests.StepReported(fleet, suite.DeviceId, CaptureStep.Overview);
        await suite.HostService<CaptureJobService>().CreateAsync(request, "test", CancellationToken.None);
        await waitingForOverview.WaitAsync(TimeSpan.FromSeconds(30));
        var waitingForContact = OverviewEndToEndTests.StepReported(fleet, suite.DeviceId, CaptureStep.Contact);
        suite.PressButton();
        await waitingForContact.WaitAsync(TimeSpan.FromSeconds(30));
        var filed = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        var series = (await suite.HostService<ISeriesArchive>().FindAsync(filed.SeriesId, CancellationToken.None))!;
        var overview = series.Overview!;
        var (lesionX, lesionY) = DarkestBlob(await suite.HostService<ISeriesArchive>().ReadFrameAsync(series.SeriesId, overview.Index, CancellationToken.None), overview.Width, overview.Height);

        await using var browser = await SignedInPage.OpenAsync(suite, "dr.lee", "dermatology 12345", $"/Series/View/{series.SeriesId}", 1200, 1400);
        var (page, problems) = (browser.Page, browser.Problems);

        var aim = page.Locator("#overview-aim");
        await Assertions.Expect(aim).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#overview-image")).ToHaveAttributeAsync("aria-label", "Overview of the left forearm, taken before the dermoscopic pair, the lesion circled");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#overview-image image'); return i && i.getBBox().width > 0; }");
        async Task<double> Attribute(string name) => double.Parse((await aim.GetAttributeAsync(name))!, CultureInfo.InvariantCulture);
        var (cx, cy, r) = (await Attribute("cx"), await Attribute("cy"), await Attribute("r"));
        var fromCentre = Math.Sqrt(Math.Pow(lesionX - cx, 2) + Math.Pow(lesionY - cy, 2));
        Assert.True(fromCentre < r, $"the lesion at ({lesionX:0}, {lesionY:0}) is {fromCentre:0} px from the circle's centre ({cx:0}, {cy:0}), radius {r:0}");
        Assert.InRange(r, 0.03 * overview.Width, 0.15 * overview.Width); // a mark, not the whole frame

        var pin = page.Locator("#overview-body-map svg[data-view=Front] .pin[data-label=L1]");
        await Assertions.Expect(pin).ToHaveClassAsync("pin current");
        Assert.Equal(mark.X * 120, double.Parse((await pin.Locator("circle").GetAttributeAsync("cx"))!, CultureInfo.InvariantCulture), 0);
        await page.Locator("#overview").ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "series-overview.png") });
        problems.AssertNone();
    }

    /// <summary>The centroid of the pigmented pixels: darker and less green than any skin, crease or wall in the frame.</summary>
    private static (double X, double Y) DarkestBlob(byte[] rgb, int width, int height)
    {
        var (sumX, sumY, count) = (0.0, 0.0, 0);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                if (rgb[i] < 115 && rgb[i + 1] < 75)
                {
                    (sumX, sumY, count) = (sumX + x, sumY + y, count + 1);
                }
            }
        }

        Assert.True(count > 50, $"{count} pigmented pixels");
        return (sumX / count, sumY / count);
    }
}
