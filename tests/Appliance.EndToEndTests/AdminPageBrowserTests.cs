using Appliance.Demo;
using Appliance.Firmware.Devices.Camera;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Users;
using Appliance.Host.Web;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>The admin page in headless Chromium (Debian's), against the whole system on loopback.</summary>
public sealed class AdminPageBrowserTests
{
    [Fact]
    public async Task Admin_SignsIn_SeesTheFleet_IssuesAWipe_AndSeesItConfirmed()
    {
        using var folder = new TempFolder("admin-page");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("it.admin", UserRoles.Admin, "admin password 123", "test");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, suite.WebCertificate);
        var page = await browser.NewPageAsync();
        var problems = PageProblems.Watch(page);

        // Any page sends an unknown visitor to sign in first.
        await page.GotoAsync($"{suite.HostUrl}/Admin/Fleet");
        Assert.Contains("/Account/Login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("input[name=UserName]", "it.admin");
        await page.FillAsync("input[name=Password]", "admin password 123");
        await page.ClickAsync("#sign-in");

        var row = page.Locator($"tr[data-device=\"{suite.DeviceId}\"]");
        await Assertions.Expect(row.Locator("[data-field=online]")).ToHaveTextAsync("online");
        await Assertions.Expect(row.Locator("[data-field=firmware]")).Not.ToHaveTextAsync("-");

        // Provision a new appliance from the page: the code is shown once, the package downloads and opens with it.
        await page.FillAsync("input[name=deviceId][pattern]", "clinic-new-01");
        await page.ClickAsync("button[name=kind][value=New]");
        var code = await page.Locator("#enrolment-code").InnerTextAsync();
        Assert.Matches("^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$", code);
        var href = await page.Locator("#enrolment-package").GetAttributeAsync("href");
        Assert.StartsWith("data:application/json;base64,", href, StringComparison.Ordinal);
        Assert.True(ProtocolJson.TryDeserialize<EnrolmentPackage>(Convert.FromBase64String(href!["data:application/json;base64,".Length..]), out var package, out _));
        Assert.Equal("clinic-new-01", package.Open(code).DeviceId);
        await Assertions.Expect(page.Locator("tr[data-device=\"clinic-new-01\"] [data-field=state]")).ToHaveTextAsync("never seen");

        await row.Locator("summary").ClickAsync();
        await row.Locator("input[name=confirmDeviceId]").FillAsync(suite.DeviceId);
        await row.Locator("button[name=wipe]").ClickAsync();
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("issued");

        // issued → delivered → confirmed, as the page refreshes itself.
        var wipeCell = page.Locator($"tr[data-device=\"{suite.DeviceId}\"] [data-field=wipe]");
        await Assertions.Expect(wipeCell).ToHaveTextAsync("confirmed", new LocatorAssertionsToHaveTextOptions { Timeout = 15_000 });
        await Assertions.Expect(page.Locator($"tr[data-device=\"{suite.DeviceId}\"] [data-field=state]")).ToHaveTextAsync("wiped");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "admin-fleet-wiped.png"), FullPage = true });

        Assert.Equal(WipeState.Confirmed, suite.HostService<IDeviceOrderLedger>().FindWipe(suite.DeviceId)!.State);
        Assert.Equal("it.admin", suite.HostService<IDeviceOrderLedger>().FindWipe(suite.DeviceId)!.RequestedBy);
        Assert.True(suite.Appliance.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        problems.AssertNone();
    }

    [Fact]
    public async Task Admin_StartsACalibrationFromTheFleetPage_SeesThePrompts_AndTheNewCalibration()
    {
        using var folder = new TempFolder("admin-page-calibrate");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("it.admin", UserRoles.Admin, "admin password 123", "test");
        var before = suite.ApplianceService<Appliance.Firmware.Core.ICalibrationState>().Current!;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, suite.WebCertificate);
        var page = await browser.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync($"{suite.HostUrl}/Admin/Fleet");
        await page.FillAsync("input[name=UserName]", "it.admin");
        await page.FillAsync("input[name=Password]", "admin password 123");
        await page.ClickAsync("#sign-in");

        var row = page.Locator($"tr[data-device=\"{suite.DeviceId}\"]");
        await row.Locator("summary").ClickAsync();
        await row.Locator("button[name=calibrate]").ClickAsync();
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("Calibration of");
        row = page.Locator($"tr[data-device=\"{suite.DeviceId}\"]");
        var state = row.Locator("[data-field=state]");
        await Assertions.Expect(state).ToContainTextAsync("white reference card", new() { Timeout = 15_000 });

        suite.Camera.Card = SimulatedCard.WhiteCard;
        suite.PressButton();
        await Assertions.Expect(state).ToContainTextAsync("colour target", new() { Timeout = 15_000 });
        suite.Camera.Card = SimulatedCard.Target;
        suite.PressButton();
        await Assertions.Expect(state).ToHaveTextAsync("calibrated", new() { Timeout = 15_000 });
        suite.Camera.Card = SimulatedCard.None;

        var after = suite.ApplianceService<Appliance.Firmware.Core.ICalibrationState>().Current!;
        Assert.NotEqual(before.ProfileId, after.ProfileId);
        await Assertions.Expect(row.Locator("[data-field=calibrated]")).ToContainTextAsync($"0 days ago ({after.CreatedAt.UtcDateTime:yyyy-MM-dd}), ΔE00 {after.Rings.Max(r => r.DeltaEMeanAfter):F2}");
        problems.AssertNone();
    }

    [Fact]
    public async Task ClinicUser_CannotOpenTheAdminPage()
    {
        using var folder = new TempFolder("admin-page-clinic");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        host.Services.GetRequiredService<UserService>().Add("clinic.staff", UserRoles.Clinic, "clinic password 123", "test");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, host.Services.GetRequiredService<WebCertificate>().Certificate);
        var page = await browser.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync($"{host.Urls.First()}/Account/Login");
        await page.FillAsync("input[name=UserName]", "clinic.staff");
        await page.FillAsync("input[name=Password]", "clinic password 123");
        await page.ClickAsync("#sign-in");

        await page.GotoAsync($"{host.Urls.First()}/Admin/Fleet");
        await Assertions.Expect(page.Locator("#denied")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("#fleet").CountAsync());
        problems.AssertNone();
    }
}
