using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Users;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// The body map in headless Chromium: staff place one lesion on the back with the mouse and
/// another on the front by keyboard alone; the marks are kept with the jobs and filed with the
/// series; the dermatologist sees the patient's lesions on the map with their visits and last
/// visit. Screenshots are kept with the test output.
/// </summary>
public sealed partial class BodyMapBrowserTests
{
    [GeneratedRegex("/Clinic/Job/([0-9a-f]{32})$")]
    private static partial Regex JobPage();

    [Fact]
    public async Task StaffPlaceLesionsByMouseAndByKeyboard_AndTheDermatologistSeesThemOnThePatientsMap()
    {
        using var folder = new TempFolder("body-map");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await using var browser = await SignedInPage.OpenAsync(suite, "dr.lee", "dermatology 12345", "/Clinic", 1200, 1400);
        var (page, problems) = (browser.Page, browser.Problems);

        // L1 on the back, by a click a quarter across and a third down the figure.
        await FillJobAsync(page, suite.DeviceId, "L1", "upper back");
        var back = page.Locator("svg.body[data-view=Back]");
        var box = (await back.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + (box.Width * 0.30f), box.Y + (box.Height * 0.35f));
        await Assertions.Expect(page.Locator("#body-map-reading")).ToHaveTextAsync("Marked on the back, 30 % across, 35 % down.");
        await Assertions.Expect(back.Locator(".placing")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("clinic-body-map.png"), FullPage = true });
        var first = await CreateAndFileAsync(page, suite);
        var mark = first.Mark!;
        Assert.Equal(BodyView.Back, mark.View);
        Assert.InRange(mark.X, 0.29, 0.31);
        Assert.InRange(mark.Y, 0.34, 0.36);

        // L2 on the front by keyboard alone: F for the front (mid-chest), then right 3 and down 10 with Shift twice.
        await page.GotoAsync($"{suite.HostUrl}/Clinic");
        await FillJobAsync(page, suite.DeviceId, "L2", "chest");
        await page.Locator("#body-map").FocusAsync();
        await page.Keyboard.PressAsync("f");
        foreach (var key in new[] { "ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowDown", "Shift+ArrowDown" })
        {
            await page.Keyboard.PressAsync(key);
        }

        await Assertions.Expect(page.Locator("#body-map-reading")).ToHaveTextAsync("Marked on the front, 53 % across, 50 % down.");
        var second = await CreateAndFileAsync(page, suite);
        Assert.Equal(BodyView.Front, second.Mark!.View);
        Assert.Equal(0.53, second.Mark.X, 3);
        Assert.Equal(0.50, second.Mark.Y, 3);

        // A repeat visit of L1 without placing it: the map keeps the last placing and counts the visit.
        await page.GotoAsync($"{suite.HostUrl}/Clinic");
        await FillJobAsync(page, suite.DeviceId, "L1", "upper back");
        var repeat = await CreateAndFileAsync(page, suite);
        Assert.Null(repeat.Mark);

        await page.GotoAsync($"{suite.HostUrl}/Series/View/{repeat.SeriesId}");
        var rows = page.Locator("#patient-lesions tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0)).ToHaveAttributeAsync("class", "current");
        await Assertions.Expect(rows.Nth(0).Locator("td.visits")).ToHaveTextAsync("2");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("back, 30 % across, 35 % down");
        await Assertions.Expect(rows.Nth(1).Locator("td.visits")).ToHaveTextAsync("1");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync(repeat.CapturedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        // Each lesion's pin where it was placed, this lesion's picked out.
        var pin = page.Locator("#patient-body-map svg[data-view=Back] .pin[data-label=L1]");
        await Assertions.Expect(pin).ToHaveClassAsync("pin current");
        Assert.Equal(0.30 * 120, double.Parse((await pin.Locator("circle").GetAttributeAsync("cx"))!, CultureInfo.InvariantCulture), 0);
        await Assertions.Expect(page.Locator("#patient-body-map svg[data-view=Front] .pin[data-label=L2] title")).ToHaveTextAsync(new Regex("^L2: chest, 1 visit, last [0-9-]{10}$"));
        await page.Locator("#patient-body-map").ScreenshotAsync(new LocatorScreenshotOptions { Path = Screenshot("series-body-map.png") });
        problems.AssertNone();
    }

    [Fact]
    public async Task AForgedMark_OffTheDiagramOrIncomplete_IsRefusedWithAReason_AndNoJobIsSent()
    {
        using var folder = new TempFolder("body-map-forged");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var jobs = host.Services.GetRequiredService<CaptureJobService>();

        var refused = await Assert.ThrowsAsync<CaptureJobRefusedException>(() => jobs.CreateAsync(
            CaptureJobRequest.WithVerbalConsent("dev-01", "TEST-PATIENT-BM", "upper back", Appliance.Protocol.ConsentScope.DirectCare, "L1") with { Mark = new BodyMapMark(BodyView.Back, 1.5, 0.2) },
            "nurse",
            CancellationToken.None));

        Assert.Equal("the body map mark must lie on the diagram", refused.Message);
        Assert.Empty(await host.Services.GetRequiredService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));
        await host.StopAsync();
    }

    private static async Task FillJobAsync(IPage page, string deviceId, string lesion, string region)
    {
        await page.SelectOptionAsync("select[name='Input.DeviceId']", deviceId);
        await page.FillAsync("input[name='Input.PatientId']", "TEST-PATIENT-BM");
        await page.SelectOptionAsync("select[name='Input.Region']", region);
        await page.FillAsync("input[name='Input.LesionLabel']", lesion);
        await page.SelectOptionAsync("select[name='Input.GivenBy']", "Patient");
        await page.SelectOptionAsync("select[name='Input.Form']", "Verbal");
        await page.SelectOptionAsync("select[name='Input.Scope']", "DirectCare");
        await page.CheckAsync("input[name='Input.ConsentTaken']");
        await page.SelectOptionAsync("select[name='Input.Overview']", "No"); // the map is under test here; the overview has its own tests
    }

    /// <summary>Sends the job from the page, waits for the appliance to arm, captures and waits for the filing.</summary>
    private static async Task<FiledSeries> CreateAndFileAsync(IPage page, EmbeddedSuite suite)
    {
        await page.ClickAsync("#create-job");
        // The job page reached is enough: the headline's wait below is for what the page shows.
        // (Waiting for its load event as well timed out once at 30 s in a full run; the headline
        // then says whether the page ever came.)
        await page.WaitForURLAsync(JobPage(), new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.Locator("#headline")).ToHaveAttributeAsync("data-state", "armed", new() { Timeout = 30_000 });
        var filed = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        Assert.Equal(JobPage().Match(page.Url).Groups[1].Value, filed.JobId);
        return filed;
    }

    private static string Screenshot(string name) => Path.Combine(AppContext.BaseDirectory, "screenshots", name);
}
