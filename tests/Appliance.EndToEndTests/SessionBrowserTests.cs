using Appliance.Demo;
using Appliance.Host.Core.Users;
using Appliance.Host.Web;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// Sessions as staff on a shared clinic PC meet them, in headless Chromium: whoever copied the
/// session cookie (another browser, devtools) loses it at sign-out, password change, role change
/// and when an admin disables the account.
/// </summary>
public sealed class SessionBrowserTests
{
    private const string Nurse = "nurse.shared";
    private const string Admin = "it.sessions";

    [Fact]
    public async Task ACopiedCookie_StopsWorking_AtSignOut_PasswordChange_RoleChange_AndDisable()
    {
        using var folder = new TempFolder("session-browser");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var url = host.Urls.First();
        var users = host.Services.GetRequiredService<UserService>();
        users.Add(Nurse, UserRoles.Clinic, "clinic password 123", "test");
        users.Add(Admin, UserRoles.Admin, "admin password 123", "test");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, host.Services.GetRequiredService<WebCertificate>().Certificate);
        var nurseContext = await browser.NewContextAsync();
        var nurse = await nurseContext.NewPageAsync();
        var adminPage = await (await browser.NewContextAsync()).NewPageAsync();
        var problems = PageProblems.Watch(nurse);
        var adminProblems = PageProblems.Watch(adminPage);
        await SignInAsync(adminPage, url, Admin, "admin password 123");

        // 1. Sign out: back to sign-in, and the copy is dead.
        await SignInAsync(nurse, url, Nurse, "clinic password 123");
        var copy = await CopyCookieAsync(nurseContext);
        Assert.True(await OpensAsync(browser, url, copy));
        await nurse.ClickAsync("#sign-out");
        await nurse.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/Account/Login"));
        await nurse.GotoAsync($"{url}/Clinic");
        Assert.Contains("/Account/Login", nurse.Url, StringComparison.Ordinal);
        Assert.False(await OpensAsync(browser, url, copy));

        // 2. Password change, from the name in the header: this browser stays in, the copy does not.
        await SignInAsync(nurse, url, Nurse, "clinic password 123");
        copy = await CopyCookieAsync(nurseContext);
        await nurse.ClickAsync($"header a:has-text('{Nurse}')");
        await nurse.FillAsync("input[name=CurrentPassword]", "clinic password 123");
        await nurse.FillAsync("input[name=NewPassword]", "a brand new password");
        await nurse.FillAsync("input[name=ConfirmPassword]", "a brand new password");
        await nurse.ClickAsync("#change-password");
        await Assertions.Expect(nurse.Locator("#message")).ToContainTextAsync("Password changed");
        Assert.False(await OpensAsync(browser, url, copy));
        await nurse.GotoAsync($"{url}/Clinic");
        await Assertions.Expect(nurse.Locator("#new-job")).ToBeVisibleAsync();

        // 3. Role change on the admin's Users page: every copy ends, the nurse's own browser too.
        copy = await CopyCookieAsync(nurseContext);
        await adminPage.GotoAsync($"{url}/Admin/Users");
        var row = adminPage.Locator($"tr[data-user=\"{Nurse}\"]");
        await row.Locator("summary").ClickAsync();
        await row.Locator("select[name=role]").SelectOptionAsync(UserRoles.Dermatologist);
        await row.Locator("button[name=change-role]").ClickAsync();
        await Assertions.Expect(adminPage.Locator("#message")).ToContainTextAsync("is now dermatologist");
        Assert.False(await OpensAsync(browser, url, copy));
        await nurse.GotoAsync($"{url}/Clinic");
        Assert.Contains("/Account/Login", nurse.Url, StringComparison.Ordinal);

        // 4. Disable: the copy ends, and the password no longer signs in.
        await SignInAsync(nurse, url, Nurse, "a brand new password");
        copy = await CopyCookieAsync(nurseContext);
        row = adminPage.Locator($"tr[data-user=\"{Nurse}\"]");
        await row.Locator("summary").ClickAsync();
        await row.Locator("button[name=disable]").ClickAsync();
        await Assertions.Expect(adminPage.Locator($"tr[data-user=\"{Nurse}\"] [data-field=state]")).ToHaveTextAsync("disabled");
        Assert.False(await OpensAsync(browser, url, copy));
        await nurse.GotoAsync($"{url}/Clinic");
        await nurse.FillAsync("input[name=UserName]", Nurse);
        await nurse.FillAsync("input[name=Password]", "a brand new password");
        await nurse.ClickAsync("#sign-in");
        await Assertions.Expect(nurse.Locator("#login-error")).ToBeVisibleAsync();

        problems.AssertNone();
        adminProblems.AssertNone();
    }

    private static async Task SignInAsync(IPage page, string url, string name, string password)
    {
        await page.GotoAsync($"{url}/Account/Login");
        await page.FillAsync("input[name=UserName]", name);
        await page.FillAsync("input[name=Password]", password);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#sign-out")).ToBeVisibleAsync();
    }

    private static async Task<Cookie> CopyCookieAsync(IBrowserContext context)
    {
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "appliance-host");
        return new Cookie { Name = cookie.Name, Value = cookie.Value, Domain = cookie.Domain, Path = cookie.Path, Secure = cookie.Secure, HttpOnly = cookie.HttpOnly, SameSite = cookie.SameSite };
    }

    /// <summary>Whether a fresh browser holding only <paramref name="copy"/> gets the clinic page (rather than sign-in).</summary>
    private static async Task<bool> OpensAsync(IBrowser browser, string url, Cookie copy)
    {
        await using var thief = await browser.NewContextAsync();
        await thief.AddCookiesAsync([copy]);
        var page = await thief.NewPageAsync();
        await page.GotoAsync($"{url}/");
        return !page.Url.Contains("/Account/Login", StringComparison.Ordinal);
    }
}
