using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// The lesion outline corrected by hand on the series page in headless Chromium: a corner dragged
/// out with the mouse, another moved by keyboard, each kept and measured, audited, undone; and
/// forged or unreadable outlines refused with the reason, changing nothing.
/// </summary>
public sealed partial class OutlineCorrectionBrowserTests
{
    [GeneratedRegex(@"^Area ([0-9.]+) mm²")]
    private static partial Regex AreaReading();

    [Fact]
    public async Task ADermatologist_DragsAndKeysTheOutline_TheMeasurementFollows_AndCanGoBack()
    {
        using var folder = new TempFolder("outline-correction");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-OC", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var series = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;

        await using var browser = await SignedInPage.OpenAsync(suite, "dr.lee", "dermatology 12345", $"/Series/View/{series.SeriesId}", 1200, 1000);
        var (page, problems) = (browser.Page, browser.Problems);
        var found = await AreaAsync(page);

        // The rightmost corner (the first) dragged 60 screen pixels further right.
        var corner = page.Locator("#outline-editor circle[data-index='0']");
        await page.Locator("#outline-editor").ScrollIntoViewIfNeededAsync();
        var box = (await corner.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + (box.Width / 2) + 60, box.Y + (box.Height / 2), new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(page.Locator("#outline-reading")).ToHaveTextAsync("Outline changed: keep it to measure it.");
        await page.ClickAsync("#save-outline");
        await page.WaitForURLAsync($"**/Series/View/{series.SeriesId}#outline");
        await Assertions.Expect(page.Locator("#outline-source")).ToContainTextAsync("Corrected by dr.lee");
        var dragged = await AreaAsync(page);
        Assert.True(dragged > found * 1.03, $"dragging a corner out should enlarge the area: {found} → {dragged} mm²");
        await Assertions.Expect(page.Locator("#lesion-visits td.area")).ToContainTextAsync("(outline by dr.lee)");

        // By keyboard: the corner a quarter turn on (the lowest) moved down by two large steps.
        await page.Locator("#outline-editor").FocusAsync();
        for (var i = 0; i < 12; i++)
        {
            await page.Keyboard.PressAsync("]");
        }

        await Assertions.Expect(page.Locator("#outline-reading")).ToHaveTextAsync("Corner 13 of 48 chosen.");
        await page.Keyboard.PressAsync("Shift+ArrowDown");
        await page.Keyboard.PressAsync("Shift+ArrowDown");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "series-outline-corrected.png"), FullPage = true });
        await page.ClickAsync("#save-outline");
        await page.WaitForURLAsync($"**/Series/View/{series.SeriesId}#outline");
        var keyed = await AreaAsync(page);
        Assert.True(keyed > dragged, $"moving the lowest corner down should enlarge the area: {dragged} → {keyed} mm²");
        Assert.Equal(48, (await suite.HostService<ISeriesArchive>().FindAsync(series.SeriesId, CancellationToken.None))!.Outline!.X.Count);

        // Back to the outline found: the first measurement again.
        await page.ClickAsync("#reset-outline");
        await page.WaitForURLAsync($"**/Series/View/{series.SeriesId}#outline");
        Assert.Equal(found, await AreaAsync(page));
        Assert.Null((await suite.HostService<ISeriesArchive>().FindAsync(series.SeriesId, CancellationToken.None))!.Outline);

        var corrections = suite.HostService<IAuditTrail>().ReadAll().Where(e => e.Kind == AuditKinds.LesionOutlineCorrected && e.Subject == series.SeriesId).ToList();
        Assert.Equal(3, corrections.Count);
        Assert.All(corrections, e => Assert.Equal("dr.lee", e.Actor));
        Assert.Equal("back to the outline found", corrections[^1].Details);
        problems.AssertNone();
    }

    [Theory]
    [InlineData("0.5,0.5 1.2,0.4 0.3,0.6", "every corner of the outline must lie on the frame")]
    [InlineData("0.5,0.5 0.6,0.4", "at least three corners")]
    [InlineData("0.5;0.5 0.6,0.4 0.4,0.4", "could not be read")]
    [InlineData("", "could not be read")]
    public async Task AForgedOrUnreadableOutline_IsRefusedWithTheReason_AndNothingChanges(string corners, string reason)
    {
        using var folder = new TempFolder("outline-forged");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path);
        suite.HostService<UserService>().Add("dr.lee", UserRoles.Dermatologist, "dermatology 12345", "test");
        await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-OF", "left forearm", ConsentScope.DirectCare, CancellationToken.None, lesionLabel: "L1");
        var series = (await suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed;
        using var http = await HostPages.SignInAsync(suite.Host, "dr.lee", "dermatology 12345");

        using var response = await HostPages.PostFormAsync(http, $"/Series/View/{series.SeriesId}", $"/Series/Outline/{series.SeriesId}", [new("corners", corners)]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await suite.HostService<ISeriesArchive>().FindAsync(series.SeriesId, CancellationToken.None))!.Outline);
        Assert.DoesNotContain(suite.HostService<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.LesionOutlineCorrected);
    }

    private static async Task<double> AreaAsync(IPage page) =>
        double.Parse(AreaReading().Match(await page.Locator("#outline-reading").InnerTextAsync()).Groups[1].Value, CultureInfo.InvariantCulture);
}
