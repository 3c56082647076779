using System.Net;
using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Users;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// The host's pages as a penetration tester meets them over HTTP: sign-out, the headers on every
/// response, and forms given values no page offers.
/// </summary>
public sealed class HostEdgeTests : IAsyncLifetime
{
    private const string Nurse = "nurse.edge";
    private const string NursePassword = "clinic password 123";
    private const string DeviceId = "edge-appliance-01";
    private const string Admin = "it.edge";
    private const string AdminPassword = "admin password 123";
    private readonly TempFolder _folder = new("host-edge");
    private WebApplication _host = null!;

    private string Url => _host.Urls.First();

    public async Task InitializeAsync()
    {
        _host = await EmbeddedSuite.StartHostAsync(_folder.Path);
        _host.Services.GetRequiredService<UserService>().Add(Nurse, UserRoles.Clinic, NursePassword, "test");
        _host.Services.GetRequiredService<UserService>().Add(Admin, UserRoles.Admin, AdminPassword, "test");
        // An appliance the clinic form can choose (provisioned; it need not be running).
        _host.Services.GetRequiredService<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", _host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task SignOut_FromTheLayoutsButton_EndsTheSession()
    {
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        using var signedOut = await HostPages.SignOutAsync(client);

        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        Assert.Equal("/Account/Login", signedOut.RequestMessage!.RequestUri!.AbsolutePath);
        using var after = await client.GetAsync("/Clinic");
        Assert.Equal("/Account/Login", after.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Theory]
    [InlineData("sign-out")]
    [InlineData("password change")]
    [InlineData("role change")]
    [InlineData("disable")]
    [InlineData("sign out everywhere")]
    public async Task ACopiedSessionCookie_StopsWorking_At(string ending)
    {
        var cookies = new CookieContainer();
        using var nurse = await HostPages.SignInAsync(_host, Nurse, NursePassword, cookies);
        using var thief = HostPages.NewClient(_host, Copied(HostPages.SessionCookie(nurse, cookies)));
        Assert.Equal("/Clinic", await LandsOnAsync(thief, "/Clinic")); // the copy works until then

        switch (ending)
        {
            case "sign-out":
                (await HostPages.SignOutAsync(nurse)).Dispose();
                break;
            case "password change":
                using (var changed = await HostPages.PostFormAsync(nurse, "/Account/Password", "/Account/Password", new Dictionary<string, string>
                {
                    ["CurrentPassword"] = NursePassword,
                    ["NewPassword"] = "a brand new password",
                    ["ConfirmPassword"] = "a brand new password",
                }))
                {
                    Assert.Contains("Password changed", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }

                // The one who changed it stays signed in on this PC.
                Assert.Equal("/Clinic", await LandsOnAsync(nurse, "/Clinic"));
                break;
            default:
                using (var admin = await HostPages.SignInAsync(_host, Admin, AdminPassword))
                {
                    var (handler, extra) = ending switch
                    {
                        "role change" => ("Role", new Dictionary<string, string> { ["role"] = UserRoles.Dermatologist }),
                        "disable" => ("Disable", []),
                        _ => ("SignOut", new Dictionary<string, string>()),
                    };
                    extra["name"] = Nurse;
                    using var done = await HostPages.PostFormAsync(admin, "/Admin/Users", $"/Admin/Users?handler={handler}", extra);
                    Assert.Contains("id=\"message\" class=\"ok\"", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }

                break;
        }

        Assert.Equal("/Account/Login", await LandsOnAsync(thief, "/Clinic"));
        Assert.Equal("/Account/Login", await LandsOnAsync(thief, "/"));
        if (ending != "password change")
        {
            Assert.Equal("/Account/Login", await LandsOnAsync(nurse, "/Clinic"));
        }
    }

    [Fact]
    public async Task TheUsersPage_AddsSomeone_ButNeverOverwritesAnExistingUser()
    {
        using var admin = await HostPages.SignInAsync(_host, Admin, AdminPassword);
        using var added = await HostPages.PostFormAsync(admin, "/Admin/Users", "/Admin/Users?handler=Add", new Dictionary<string, string>
        {
            ["name"] = "derm.new",
            ["role"] = UserRoles.Dermatologist,
            ["password"] = "a new dermatologist",
        });
        Assert.Contains("derm.new (dermatologist) can sign in", await added.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        (await HostPages.SignInAsync(_host, "derm.new", "a new dermatologist")).Dispose();

        using var again = await HostPages.PostFormAsync(admin, "/Admin/Users", "/Admin/Users?handler=Add", new Dictionary<string, string>
        {
            ["name"] = Nurse,
            ["role"] = UserRoles.Admin,
            ["password"] = "someone else's password",
        });
        Assert.Contains($"There is already a user &#x27;{Nurse}&#x27;", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var nurse = await HostPages.SignInAsync(_host, Nurse, NursePassword); // unchanged
        Assert.Equal(UserRoles.Clinic, _host.Services.GetRequiredService<IUserStore>().Find(Nurse)!.Role);
    }

    [Fact]
    public async Task ADisabledUser_CannotSignIn_UntilEnabled()
    {
        var users = _host.Services.GetRequiredService<UserService>();
        users.Disable(Nurse, Admin);
        await Assert.ThrowsAsync<InvalidOperationException>(() => HostPages.SignInAsync(_host, Nurse, NursePassword));
        users.Enable(Nurse, Admin);
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        Assert.Equal("/Clinic", await LandsOnAsync(client, "/Clinic"));
    }

    [Theory]
    [InlineData("/Account/Login", false)]
    [InlineData("/Clinic", true)]
    [InlineData("/", true)]
    [InlineData("/healthz", false)]
    [InlineData("/no-such-page", true)]
    public async Task EveryResponse_CarriesTheSecurityHeaders(string path, bool signedIn)
    {
        using var client = signedIn ? await HostPages.SignInAsync(_host, Nurse, NursePassword) : HostPages.NewClient(_host);
        using var response = await client.GetAsync(path);

        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        var csp = Single(response, "Content-Security-Policy");
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        // Pages hold patients' names and images: no copy kept by the browser of a shared clinic PC.
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptsOnAPage_CarryTheNonceItsPolicyNames()
    {
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        using var response = await client.GetAsync("/Clinic/Job/" + new string('0', 32));
        var csp = Single(response, "Content-Security-Policy");
        var nonce = System.Text.RegularExpressions.Regex.Match(csp, "script-src 'nonce-([A-Za-z0-9+/=]+)'").Groups[1].Value;
        Assert.True(nonce.Length >= 22, csp);

        using var other = await client.GetAsync("/Clinic");
        Assert.DoesNotContain(nonce, Single(other, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Input.ConsentTaken", "maybe", "consent")]
    [InlineData("Input.GivenBy", "Stranger", "who gave consent")]
    [InlineData("Input.GivenBy", "7", "who gave consent")]
    [InlineData("Input.Form", "5", "how consent was given")]
    [InlineData("Input.Scope", "99", "scope")]
    [InlineData("Input.Scope", null, "scope")]
    [InlineData("Input.DateOfBirth", "yesterday", "date of birth")]
    [InlineData("Input.MapView", "Back", "body map again: it was incomplete")]
    [InlineData("Input.MapView", "Sideways", "body map again: it could not be read")]
    [InlineData("Input.MapX", "0.5", "body map again: it was incomplete")]
    public async Task ClinicForm_GivenAValueNoPageOffers_SaysWhatIsWrong_AndCreatesNothing(string field, string? value, string message)
    {
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        var fields = ValidJob();
        if (value is null)
        {
            fields.Remove(field);
        }
        else
        {
            fields[field] = value;
        }

        using var response = await HostPages.PostFormAsync(client, "/Clinic", "/Clinic", fields);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/Clinic", response.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await _host.Services.GetRequiredService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task ClinicForm_AValidJob_IsCreated_WithTheConsentEntered()
    {
        // The control for the test above: the same form, untouched, does create a job.
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        using var response = await HostPages.PostFormAsync(client, "/Clinic", "/Clinic", ValidJob());

        Assert.StartsWith("/Clinic/Job/", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        var job = Assert.Single(await _host.Services.GetRequiredService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));
        Assert.Equal(Appliance.Host.Core.Jobs.ConsentGiver.ParentOrGuardian, job.Consent!.GivenBy);
        Assert.Equal(Appliance.Host.Core.Jobs.ConsentForm.Written, job.Consent.Form);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(300_000)]
    public async Task ClinicForm_APatientIdentifierLongerThanAnyRecordsIs_IsRefused(int length)
    {
        using var client = await HostPages.SignInAsync(_host, Nurse, NursePassword);
        var fields = ValidJob();
        fields["Input.PatientId"] = new string('9', length);

        using var response = await HostPages.PostFormAsync(client, "/Clinic", "/Clinic", fields);

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("/Clinic/Job/", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        Assert.Empty(await _host.Services.GetRequiredService<ICaptureJobRepository>().ListRecentJobsAsync(10, CancellationToken.None));
    }

    private CookieContainer Copied(string value)
    {
        var jar = new CookieContainer();
        jar.Add(new Uri(Url), new Cookie("appliance-host", value));
        return jar;
    }

    private static async Task<string> LandsOnAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.RequestMessage!.RequestUri!.AbsolutePath;
    }

    private static Dictionary<string, string> ValidJob() => new()
    {
        ["Input.DeviceId"] = DeviceId,
        ["Input.PatientId"] = "943 476 5919",
        ["Input.Side"] = "left",
        ["Input.Region"] = "forearm",
        ["Input.GivenBy"] = "ParentOrGuardian",
        ["Input.Form"] = "Written",
        ["Input.Scope"] = "DirectCare",
        ["Input.ConsentTaken"] = "true",
    };

    private static string Single(HttpResponseMessage response, string header) =>
        response.Headers.TryGetValues(header, out var values) || response.Content.Headers.TryGetValues(header, out values)
            ? Assert.Single(values)
            : throw new Xunit.Sdk.XunitException($"{response.RequestMessage!.RequestUri} ({(int)response.StatusCode}) has no {header} header");
}
