using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Users;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>The clinic page in headless Chromium: a job with consent, followed live from sent to filed.</summary>
public sealed class ClinicPageBrowserTests
{
    [Fact]
    public async Task ClinicStaff_CreateAJobWithConsent_SeeArmedRetakeAndFiledWithThumbnails_AndCanRecordAWithdrawal()
    {
        using var folder = new TempFolder("clinic-page");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("nurse.jones", UserRoles.Clinic, "clinic password 123", "test");

        // Not signed in: the clinic page gives the sign-in page.
        using (var anonymous = HostPages.NewClient(suite.Host))
        {
            using var refused = await anonymous.GetAsync("/Clinic");
            Assert.Equal("/Account/Login", refused.RequestMessage!.RequestUri!.AbsolutePath);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, suite.WebCertificate);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 1000 } });
        var problems = PageProblems.Watch(page);
        await page.GotoAsync($"{suite.HostUrl}/Clinic");
        await page.FillAsync("input[name=UserName]", "nurse.jones");
        await page.FillAsync("input[name=Password]", "clinic password 123");
        await page.ClickAsync("#sign-in");

        // Without ticking that consent was taken, nothing is sent.
        await FillJobAsync(page, suite.DeviceId, "TEST-PATIENT-CL", "left", "forearm");
        await page.ClickAsync("#create-job");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("record consent");
        Assert.Empty(await suite.HostService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));

        await FillJobAsync(page, suite.DeviceId, "TEST-PATIENT-CL", "left", "forearm");
        await page.FillAsync("input[name='Input.LesionLabel']", "L1");
        await page.SelectOptionAsync("select[name='Input.Form']", "Written");
        await page.SelectOptionAsync("select[name='Input.Scope']", "DirectCareAndTeaching");
        await page.CheckAsync("input[name='Input.ConsentTaken']");
        await page.ClickAsync("#create-job");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/Clinic/Job/[0-9a-f]{32}$"));
        var jobId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        var headline = page.Locator("#headline");
        await Assertions.Expect(headline).ToHaveAttributeAsync("data-state", "armed", new() { Timeout = 30_000 });
        // Lesion L1's first series: the overview comes first (the form's default).
        await Assertions.Expect(headline).ToContainTextAsync("first the overview");

        // A hand that moved: the overview is asked for again, and why.
        var overviewCamera = suite.ApplianceService<Appliance.Firmware.Devices.Camera.SimulatedOverviewCamera>();
        overviewCamera.Scene = new Appliance.Firmware.Devices.Camera.SimulatedOverviewScene { MotionDx = 12 };
        suite.PressButton();
        await Assertions.Expect(headline).ToContainTextAsync("Retake the overview (overview: moved)", new() { Timeout = 30_000 });
        overviewCamera.Scene = new Appliance.Firmware.Devices.Camera.SimulatedOverviewScene();
        suite.PressButton();
        await Assertions.Expect(headline).ToContainTextAsync("Overview taken: now place the head on the lesion", new() { Timeout = 30_000 });

        // A blurred capture: the page says retake and why.
        var sharp = suite.Camera.Scene;
        suite.Camera.Scene = sharp with { BlurRadius = 6 };
        suite.PressButton();
        await Assertions.Expect(page.Locator("#timeline li[data-state=retake]").Last).ToContainTextAsync("blurred", new() { Timeout = 30_000 });
        await Assertions.Expect(headline).ToContainTextAsync("press capture again"); // still armed, for the retake

        suite.Camera.Scene = sharp;
        suite.PressButton();
        await Assertions.Expect(headline).ToHaveAttributeAsync("data-state", "filed", new() { Timeout = 30_000 });
        var thumbnails = page.Locator("#thumbnails img");
        await Assertions.Expect(thumbnails).ToHaveCountAsync(3);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#thumbnails img')].every(i => i.complete && i.naturalWidth > 100 && i.naturalWidth <= 240)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "clinic-job-filed.png"), FullPage = true });
        var steps = await page.Locator("#timeline li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.state)");
        Assert.Equal(["sent", "armed", "capturing", "retake", "capturing", "armed", "capturing", "retake", "capturing", "accepted", "filed"], steps);

        // The clinic page lists the overview as waiting for review, and leads back to the job.
        await page.GotoAsync($"{suite.HostUrl}/Clinic");
        var toReview = page.Locator($"#overviews-to-review tr[data-job='{jobId}']");
        await Assertions.Expect(toReview).ToContainTextAsync("TEST-PATIENT-CL");
        await toReview.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/Clinic/Job/{jobId}");

        // Before the series is used, staff say whether the overview identifies the patient; "yes" needs a reason.
        var review = page.Locator("#overview-review");
        await Assertions.Expect(review).ToBeVisibleAsync();
        await page.CheckAsync("#overview-identifying");
        await page.ClickAsync("#review-overview");
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("say why");
        await page.CheckAsync("#overview-identifying");
        await page.FillAsync("#overview-reason", "a birthmark beside it is the only landmark");
        await page.ClickAsync("#review-overview");
        await Assertions.Expect(page.Locator("#overview-reviewed")).ToContainTextAsync("high risk");
        await Assertions.Expect(review).ToBeHiddenAsync();
        await page.GotoAsync($"{suite.HostUrl}/Clinic");
        await Assertions.Expect(page.Locator("#overviews")).ToHaveCountAsync(0);
        await page.GotoAsync($"{suite.HostUrl}/Clinic/Job/{jobId}");

        var job = await suite.HostService<JobTracker>().FindAsync(jobId, CancellationToken.None);
        var series = await suite.HostService<ISeriesArchive>().FindAsync(job!.SeriesId!, CancellationToken.None);
        Assert.Equal("left forearm", series!.BodySite);
        Assert.Equal("L1", series.LesionLabel);
        Assert.Equal(Appliance.Host.Core.Filing.ImageRisk.High, series.OverviewRisk);
        Assert.False(series.OverviewFitForTeaching);
        Assert.Equal(new ConsentRecord(ConsentGiver.Patient, ConsentForm.Written, Appliance.Protocol.ConsentScope.DirectCareAndTeaching, "nurse.jones", job.Job.IssuedAt), series.Consent);
        Assert.True(series.TeachingAllowed);

        // The patient later withdraws consent: recorded here, the series is marked and teaching is off.
        await page.ClickAsync("#withdraw summary");
        await page.FillAsync("#withdraw input[name=note]", "patient phoned");
        await page.ClickAsync("#withdraw-consent");
        await Assertions.Expect(page.Locator("#withdrawn")).ToContainTextAsync("Consent withdrawn");
        await Assertions.Expect(page.Locator("#withdraw")).ToBeHiddenAsync();
        series = await suite.HostService<ISeriesArchive>().FindAsync(series.SeriesId, CancellationToken.None);
        Assert.Equal("nurse.jones", series!.ConsentWithdrawn?.RecordedBy);
        Assert.False(series.TeachingAllowed);

        // An intimate site for a child is refused before anything reaches the appliance.
        await FillJobPageAsync(page, suite.HostUrl, suite.DeviceId, "TEST-PATIENT-CHILD", string.Empty, "genitals");
        await page.FillAsync("input[name='Input.DateOfBirth']", DateTime.UtcNow.AddYears(-10).ToString("yyyy-MM-dd"));
        await page.CheckAsync("input[name='Input.ConsentTaken']");
        await page.CheckAsync("input[name='Input.IntimateSiteConfirmed']");
        await page.ClickAsync("#create-job");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("never photographed for patients under 18");
        Assert.Single(await suite.HostService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));

        var trail = suite.HostService<IAuditTrail>().ReadAll();
        Assert.Contains(trail, e => e.Kind == AuditKinds.JobCreated && e.Subject == jobId && e.Actor == "nurse.jones" && e.Details.Contains("written consent", StringComparison.Ordinal));
        Assert.Contains(trail, e => e.Kind == AuditKinds.ThumbnailViewed && e.Subject == series.SeriesId && e.Actor == "nurse.jones");
        Assert.Contains(trail, e => e.Kind == AuditKinds.ConsentWithdrawn && e.Subject == series.SeriesId);
        Assert.Contains(trail, e => e.Kind == AuditKinds.OverviewReviewed && e.Subject == series.SeriesId && e.Actor == "nurse.jones" && !e.Details.Contains("birthmark", StringComparison.Ordinal));
        Assert.Contains(trail, e => e.Kind == AuditKinds.JobRefused && e.Actor == "nurse.jones");
        Assert.DoesNotContain(trail, e => e.Details.Contains("TEST-PATIENT", StringComparison.Ordinal));

        // The thumbnail address without a session gives the sign-in page, not the image.
        using var stranger = HostPages.NewClient(suite.Host);
        using var image = await stranger.GetAsync($"/Clinic/Job/{jobId}?handler=Thumbnail&index=0");
        Assert.Equal("/Account/Login", image.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.NotEqual("image/png", image.Content.Headers.ContentType?.MediaType);
        problems.AssertNone();
    }

    private static async Task FillJobPageAsync(IPage page, string hostUrl, string deviceId, string patient, string side, string region)
    {
        await page.GotoAsync($"{hostUrl}/Clinic");
        await FillJobAsync(page, deviceId, patient, side, region);
    }

    private static async Task FillJobAsync(IPage page, string deviceId, string patient, string side, string region)
    {
        await page.SelectOptionAsync("select[name='Input.DeviceId']", deviceId);
        await page.FillAsync("input[name='Input.PatientId']", patient);
        await page.SelectOptionAsync("select[name='Input.Side']", side);
        await page.SelectOptionAsync("select[name='Input.Region']", region);
        // Nothing of the consent is chosen in advance; the form will not send without it.
        await page.SelectOptionAsync("select[name='Input.GivenBy']", "Patient");
        await page.SelectOptionAsync("select[name='Input.Form']", "Verbal");
        await page.SelectOptionAsync("select[name='Input.Scope']", "DirectCare");
    }
}
