using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>Launching the browser the page tests drive.</summary>
internal static class BrowserSupport
{
    private static readonly string[] NoSandbox = ["--no-sandbox"];

    /// <summary>
    /// Debian's chromium, headless (Playwright's own browser download is not available here),
    /// trusting the host's page certificate by its public key alone, as a workstation with the
    /// host's CA installed would trust it: every other certificate error still fails.
    /// </summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright, X509Certificate2 pagesCertificate) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                $"--ignore-certificate-errors-spki-list={Convert.ToBase64String(SHA256.HashData(pagesCertificate.PublicKey.ExportSubjectPublicKeyInfo()))}",
                // Root in a container has no user namespaces for Chromium's sandbox.
                .. Environment.UserName == "root" ? NoSandbox : [],
            ],
        });
}

/// <summary>
/// What the browser refused or failed to run on a page: content security policy violations
/// (a script or style without the response's nonce) and uncaught script errors. A page that
/// works only because a test does not look at its console is broken for staff.
/// </summary>
internal sealed class PageProblems
{
    private readonly ConcurrentQueue<string> _seen = new();

    private PageProblems()
    {
    }

    public static PageProblems Watch(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var problems = new PageProblems();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                problems._seen.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => problems._seen.Enqueue(error);
        return problems;
    }

    public void AssertNone() => Assert.Empty(_seen);
}

/// <summary>
/// Headless Chromium signed in to a suite's host as one user, on the page asked for (the sign-in
/// page sends it there), with its console and failed requests watched.
/// </summary>
internal sealed class SignedInPage : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private SignedInPage(IPlaywright playwright, IBrowser browser, IPage page) =>
        (_playwright, _browser, Page, Problems) = (playwright, browser, page, PageProblems.Watch(page));

    public IPage Page { get; }

    public PageProblems Problems { get; }

    public static async Task<SignedInPage> OpenAsync(Appliance.Demo.EmbeddedSuite suite, string user, string password, string path, int width = 1400, int height = 1000)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var playwright = await Playwright.CreateAsync();
        var browser = await BrowserSupport.LaunchChromiumAsync(playwright, suite.WebCertificate);
        var signedIn = new SignedInPage(playwright, browser, await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } }));
        await signedIn.Page.GotoAsync($"{suite.HostUrl}{path}");
        await signedIn.Page.FillAsync("input[name=UserName]", user);
        await signedIn.Page.FillAsync("input[name=Password]", password);
        await signedIn.Page.ClickAsync("#sign-in");
        return signedIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
