using System.Text.Json;
using Appliance.Demo;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// One running suite (host, broker, simulated appliance with a filed series) and one Chromium for
/// the accessibility tests: axe-core (tests/accessibility, installed by the test command) is
/// injected into each page as a user sees it, signed in with the role that uses it.
/// </summary>
public sealed class AccessibilityFixture : IAsyncLifetime
{
    public const string Password = "a long passphrase for tests";
    private readonly TempFolder _folder = new("accessibility");
    private IPlaywright? _playwright;

    public EmbeddedSuite Suite { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string SeriesId { get; private set; } = string.Empty;

    public string JobId { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        // Every section a page can show is shown: a PACS that cannot be reached (deliveries waiting),
        // a filing overdue after a second, a series lost in a wipe.
        Suite = await EmbeddedSuite.StartAsync(_folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Pacs:DicomWebUrl"] = "http://127.0.0.1:9/dicom-web/",
            ["Jobs:FilingOverdueAfter"] = "00:00:01",
            ["Jobs:OverdueCheckInterval"] = "00:00:00.100",
        });
        var users = Suite.HostService<UserService>();
        users.Add("it.admin", UserRoles.Admin, Password, "test");
        users.Add("nurse.a", UserRoles.Clinic, Password, "test");
        users.Add("derm.a", UserRoles.Dermatologist, Password, "test");
        for (var visit = 0; visit < 2; visit++)
        {
            var job = await Suite.CreateJobAndWaitArmedAsync("A11Y-PATIENT-1", "left forearm", ConsentScope.DirectCare, CancellationToken.None, "L1");
            JobId = job.JobId;
            SeriesId = (await Suite.PressAndWaitFiledAsync(CancellationToken.None)).Filed.SeriesId;
        }

        await AcceptedNotFiledAsync("a11y-dev-lost", wipe: true);
        await AcceptedNotFiledAsync("a11y-dev-late", wipe: false);
        _playwright = await Playwright.CreateAsync();
        Browser = await BrowserSupport.LaunchChromiumAsync(_playwright, Suite.WebCertificate);
    }

    /// <summary>Another appliance reports a series accepted and never sends it; then it is wiped, or its filing falls overdue.</summary>
    private async Task AcceptedNotFiledAsync(string deviceId, bool wipe)
    {
        var bundle = Suite.HostService<DeviceProvisioner>().Provision(deviceId, "127.0.0.1", 8883);
        var job = await Suite.HostService<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(deviceId, $"A11Y-{deviceId}", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
        var tracker = Suite.HostService<JobTracker>();
        var changes = 0;
        // The second change to the job after its acceptance: marked overdue, or lost in the wipe.
        var marked = EmbeddedSuite.WaitFor<string>(h => tracker.Changed += h, h => tracker.Changed -= h, id => id == job.JobId && Interlocked.Increment(ref changes) == 2);
        await tracker.OnStatusAsync(new ApplianceStatus(deviceId, ApplianceState.Accepted, "0.1.0", 1, DateTimeOffset.UtcNow, job.JobId, SeriesId: Guid.NewGuid().ToString()), CancellationToken.None);
        if (wipe)
        {
            Assert.Null(await Suite.HostService<DeviceOrderService>().OnWipedAsync(deviceId, SignedWipeReports.Create(deviceId, bundle.SigningPrivateKey, WipeTrigger.Lease, 1), CancellationToken.None));
        }

        await marked.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(wipe ? JobStates.LostInWipe : JobStates.FilingOverdue, (await tracker.FindAsync(job.JobId, CancellationToken.None))!.State);
    }

    /// <summary>A fresh browser context signed in as <paramref name="user"/>, at <paramref name="path"/>. Injecting axe needs the pages' CSP bypassed; nothing else does.</summary>
    public async Task<IPage> SignedInAsync(string user, string path)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BypassCSP = true, ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{Suite.HostUrl}{path}");
        await page.FillAsync("input[name=UserName]", user);
        await page.FillAsync("input[name=Password]", Password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login", StringComparison.Ordinal));
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Suite is not null)
        {
            await Suite.DisposeAsync();
        }

        _folder.Dispose();
    }
}

/// <summary>
/// WCAG 2.2 A and AA as axe-core checks them, on every page of the host, with zero violations;
/// and the main journeys by keyboard alone, with the focus visible. Run on their own with
/// <c>dotnet test --filter Category=Accessibility</c>.
/// </summary>
[Trait("Category", "Accessibility")]
public sealed class AccessibilityTests(AccessibilityFixture fixture) : IClassFixture<AccessibilityFixture>
{
    private static readonly string AxeScript = Path.Combine(Builds.RepositoryRoot, "tests", "accessibility", "node_modules", "axe-core", "axe.min.js");

    /// <summary>Runs axe on the page as it stands and fails with every violation, its rule, impact and where.</summary>
    private static async Task AssertNoViolationsAsync(IPage page, string what)
    {
        Assert.True(File.Exists(AxeScript), $"axe-core is not installed at {AxeScript}: run tests/run.sh");
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxeScript });
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }))
                .violations.map(v => ({ rule: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary) }))
            """);
        Assert.True(violations.GetArrayLength() == 0, $"{what} ({page.Url}): {violations}");
    }

    [Fact]
    public async Task TheSignInPage_HasNoViolations()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BypassCSP = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{fixture.Suite.HostUrl}/Account/Login");
        await AssertNoViolationsAsync(page, "sign-in");

        // A wrong password's message is announced and passes too.
        await page.FillAsync("input[name=UserName]", "nurse.a");
        await page.FillAsync("input[name=Password]", "not the password at all");
        await page.ClickAsync("#sign-in");
        await AssertNoViolationsAsync(page, "sign-in refused");
        await context.DisposeAsync();
    }

    [Fact]
    public async Task TheClinicPages_HaveNoViolations()
    {
        var page = await fixture.SignedInAsync("nurse.a", "/Clinic");
        await AssertNoViolationsAsync(page, "clinic");
        await page.ClickAsync("#create-job"); // nothing filled in: the error shown
        await AssertNoViolationsAsync(page, "clinic with an error");
        await page.GotoAsync($"{fixture.Suite.HostUrl}/Clinic/Job/{fixture.JobId}");
        await AssertNoViolationsAsync(page, "job");
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task TheDermatologistsPages_HaveNoViolations()
    {
        var page = await fixture.SignedInAsync("derm.a", "/Series");
        await AssertNoViolationsAsync(page, "worklist");
        await page.GotoAsync($"{fixture.Suite.HostUrl}/Series/View/{fixture.SeriesId}");
        await AssertNoViolationsAsync(page, "series");
        await page.ClickAsync("a.compare");
        await page.WaitForURLAsync("**/Series/Compare/**");
        await AssertNoViolationsAsync(page, "compare");
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task TheAdminPages_HaveNoViolations()
    {
        var page = await fixture.SignedInAsync("it.admin", "/Admin/Fleet");
        await AssertNoViolationsAsync(page, "fleet");
        await page.GotoAsync($"{fixture.Suite.HostUrl}/Admin/Users");
        await AssertNoViolationsAsync(page, "users");
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task TheHomeAboutAndAccountPages_HaveNoViolations()
    {
        var page = await fixture.SignedInAsync("nurse.a", "/");
        await AssertNoViolationsAsync(page, "home");
        await page.GotoAsync($"{fixture.Suite.HostUrl}/About");
        await AssertNoViolationsAsync(page, "about");
        await page.Context.DisposeAsync();
    }

    /// <summary>
    /// Presses Tab (Shift+Tab with <paramref name="back"/>) until <paramref name="selector"/> has the
    /// focus, failing if it is never reached; then checks the focus can be seen where it is.
    /// </summary>
    private static async Task TabToAsync(IPage page, string selector, bool back = false)
    {
        for (var presses = 0; presses < 60; presses++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement !== null && document.activeElement.matches(s)", selector))
            {
                var shown = await page.EvaluateAsync<bool>("""
                    () => { const s = getComputedStyle(document.activeElement);
                            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow !== 'none' && s.boxShadow !== ''); }
                    """);
                Assert.True(shown, $"the keyboard focus on {selector} cannot be seen");
                return;
            }

            await page.Keyboard.PressAsync(back ? "Shift+Tab" : "Tab");
        }

        Assert.Fail($"{selector} is not reachable with the keyboard on {page.Url}");
    }

    private static async Task<IPage> SignInByKeyboardAsync(AccessibilityFixture fixture, string user, string path)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{fixture.Suite.HostUrl}{path}");
        await TabToAsync(page, "input[name=UserName]");
        await page.Keyboard.TypeAsync(user);
        await TabToAsync(page, "input[name=Password]");
        await page.Keyboard.TypeAsync(AccessibilityFixture.Password);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.EndsWith(path, StringComparison.Ordinal));
        return page;
    }

    [Fact]
    public async Task ClinicStaff_SignInCreateAJobAndFollowItToFiled_ByKeyboardAlone()
    {
        var page = await SignInByKeyboardAsync(fixture, "nurse.a", "/Clinic");
        await TabToAsync(page, "select[name='Input.DeviceId']");
        await page.Keyboard.PressAsync("ArrowDown"); // the first appliance: online ones come first
        await TabToAsync(page, "input[name='Input.PatientId']");
        await page.Keyboard.TypeAsync("A11Y-KEYBOARD-1");
        await TabToAsync(page, "select[name='Input.Region']");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, "select[name='Input.GivenBy']");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, "select[name='Input.Form']");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, "select[name='Input.Scope']");
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, "input[name='Input.ConsentTaken']");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "#create-job");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/Clinic/Job/[0-9a-f]{32}$"));

        // No lesion label: a first series, so the overview comes first.
        var headline = page.Locator("#headline");
        await Assertions.Expect(headline).ToContainTextAsync("first the overview", new() { Timeout = 30_000 });
        fixture.Suite.PressButton();
        await Assertions.Expect(headline).ToContainTextAsync("now place the head on the lesion", new() { Timeout = 30_000 });
        fixture.Suite.PressButton();
        await Assertions.Expect(headline).ToHaveAttributeAsync("data-state", "filed", new() { Timeout = 30_000 });

        // The overview's review, by keyboard: no identifying feature.
        await TabToAsync(page, "#overview-clear");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, "#review-overview");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#overview-reviewed")).ToContainTextAsync("medium risk");
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task ADermatologist_OpensASeries_SwitchesCalibration_ComparesAndOpensTheEarlierVisit_ByKeyboardAlone()
    {
        var page = await SignInByKeyboardAsync(fixture, "derm.a", "/Series");
        await TabToAsync(page, $"a[href='/Series/View/{fixture.SeriesId}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => url.EndsWith(fixture.SeriesId, StringComparison.Ordinal));
        await TabToAsync(page, "#toggle-calibrated");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#toggle-calibrated")).ToHaveTextAsync("Showing original");
        await TabToAsync(page, "#ruler");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#ruler")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator("#ruler-reading")).ToHaveTextAsync("Click two points on a frame to measure between them.");

        // The comparison with the earlier visit, and its overlay control, by keyboard.
        await TabToAsync(page, "a.compare");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/Series/Compare/**");
        await TabToAsync(page, "#overlay-amount");
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#overlay-value")).ToHaveTextAsync("55 %");
        await page.GoBackAsync();

        await TabToAsync(page, "#earlier a");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.EndsWith(fixture.SeriesId, StringComparison.Ordinal));
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task AnAdmin_ProvisionsAndWipesAnAppliance_ByKeyboardAlone()
    {
        var page = await SignInByKeyboardAsync(fixture, "it.admin", "/Admin/Fleet");
        await TabToAsync(page, "input[name=deviceId][pattern]");
        await page.Keyboard.TypeAsync("a11y-keyboard-01");
        await TabToAsync(page, "button[name=kind][value=New]");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#enrolment-code")).ToBeVisibleAsync();

        var row = "tr[data-device='a11y-keyboard-01']";
        await TabToAsync(page, $"{row} summary", back: true);
        await page.Keyboard.PressAsync("Enter");
        await TabToAsync(page, $"{row} input[name=confirmDeviceId]");
        await page.Keyboard.TypeAsync("a11y-keyboard-01");
        await TabToAsync(page, $"{row} button[name=wipe]");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("issued");
        await page.Context.DisposeAsync();
    }
}
