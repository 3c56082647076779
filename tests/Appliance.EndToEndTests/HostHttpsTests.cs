using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Appliance.Demo;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.Host.Web;
using Appliance.Protocol;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>The host's pages over HTTPS by default, and plain HTTP only for a reverse proxy on loopback.</summary>
public sealed partial class HostHttpsTests
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [Fact]
    public async Task ThePages_AreServedOverHttps_WithACertificateFromTheHostCa_ForTheConfiguredNames()
    {
        using var folder = new TempFolder("https-default");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Web:ServerNames:0"] = "derm-host.clinic.example",
            ["Web:ServerNames:1"] = "192.0.2.10",
        });
        var url = new Uri(host.Urls.First());
        Assert.Equal("https", url.Scheme);

        using var served = await ServerCertificateAsync(url.Port, "derm-host.clinic.example");
        var ca = HostPages.CaOf(host);
        Assert.True(MutualTls.ChainsTo(served, ca, MutualTls.ServerAuthOid, DateTimeOffset.UtcNow, out var why), why);
        var san = served.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("derm-host.clinic.example", san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Parse("192.0.2.10"), san.EnumerateIPAddresses());
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.True(served.NotAfter - served.NotBefore <= TimeSpan.FromDays(398)); // what browsers accept
        Assert.Equal(ca.ExportCertificatePem(), await File.ReadAllTextAsync(Path.Combine(folder.Path, "host", "ca", "ca.pem"))); // for IT to install

        using var client = HostPages.NewClient(host);
        using var login = await client.GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task TheSessionCookie_IsSecure_AndBrowsersAreToldToUseHttpsOnly()
    {
        using var folder = new TempFolder("https-cookie");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?> { ["Web:ServerNames:0"] = "derm-host.clinic.example" });
        host.Services.GetRequiredService<UserService>().Add("nurse.https", UserRoles.Clinic, "clinic password 123", "test");
        var cookies = new CookieContainer();
        using var client = await HostPages.SignInAsync(host, "nurse.https", "clinic password 123", cookies);

        var session = cookies.GetCookies(new Uri(host.Urls.First()))["appliance-host"]!;
        Assert.True(session.Secure);
        Assert.True(session.HttpOnly);

        // HSTS goes to names staff type (loopback is left out, as ASP.NET does, so a developer's
        // browser is not bound to HTTPS on every local port).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/Account/Login");
        request.Headers.Host = "derm-host.clinic.example";
        using var response = await client.SendAsync(request);
        Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Fact]
    public async Task PlainHttp_IsRefusedAtStart_WithTheReason()
    {
        using var folder = new TempFolder("https-refuse");
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
        }));
        Assert.Contains("plain HTTP", refused.Message, StringComparison.Ordinal);

        var wide = await Assert.ThrowsAsync<OptionsValidationException>(() => EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Urls"] = "http://0.0.0.0:0",
            ["Web:AllowPlainHttp"] = "true",
        }));
        Assert.Contains("not a loopback address", wide.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithPlainHttpPages_ExitsWithTheReason()
    {
        using var folder = new TempFolder("https-serve");
        var start = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "appliance-host")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "serve", $"--Host:DataFolder={folder.Combine("host")}", "--Urls=http://127.0.0.1:5080", "--Broker:Port=0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("would be served over plain HTTP at http://127.0.0.1:5080", await stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindALoopbackProxy_TheForwardedClientAndSchemeAreHonoured()
    {
        using var folder = new TempFolder("https-proxy");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Web:AllowPlainHttp"] = "true",
        });
        host.Services.GetRequiredService<UserService>().Add("nurse.proxy", UserRoles.Clinic, "clinic password 123", "test");
        // What a TLS-terminating proxy sends on: the browser's address and its scheme. Cookies are
        // carried by hand, as the browser (talking HTTPS to the proxy) would carry its secure ones.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(host.Urls.First()) };
        using var form = await client.SendAsync(Proxied(HttpMethod.Get, "/Account/Login", null));
        var antiforgery = CookiesOf(form);
        var token = AntiforgeryToken().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;

        var post = Proxied(HttpMethod.Post, "/Account/Login", antiforgery);
        post.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["UserName"] = "nurse.proxy", ["Password"] = "clinic password 123", ["__RequestVerificationToken"] = token });
        using var signedIn = await client.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var setCookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("appliance-host=", StringComparison.Ordinal));
        Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(host.Services.GetRequiredService<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.SignedIn && e.Subject == "nurse.proxy" && e.Details.EndsWith("from 10.20.30.40", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnOperatorsCertificate_IsServedInsteadOfOneFromTheHostCa()
    {
        using var folder = new TempFolder("https-operator");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=derm-host.trust.example", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("derm-host.trust.example");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var own = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(folder.Combine("web.pem"), own.ExportCertificatePem());
        await File.WriteAllTextAsync(folder.Combine("web.key"), key.ExportPkcs8PrivateKeyPem());

        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Web:CertificatePath"] = folder.Combine("web.pem"),
            ["Web:CertificateKeyPath"] = folder.Combine("web.key"),
        });

        using var served = await ServerCertificateAsync(new Uri(host.Urls.First()).Port, "derm-host.trust.example");
        Assert.Equal(own.Thumbprint, served.Thumbprint);
        Assert.False(host.Services.GetRequiredService<WebCertificate>().IssuedByHost);
    }

    private static HttpRequestMessage Proxied(HttpMethod method, string path, string? cookies)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", "10.20.30.40");
        request.Headers.Add("X-Forwarded-Proto", "https");
        if (cookies is not null)
        {
            request.Headers.Add("Cookie", cookies);
        }

        return request;
    }

    private static string CookiesOf(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

    /// <summary>The certificate the server presents to a client asking for <paramref name="name"/>, whatever its issuer.</summary>
    private static async Task<X509Certificate2> ServerCertificateAsync(int port, string name)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate2? seen = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
        {
            seen = certificate is null ? null : new X509Certificate2(certificate);
            return seen is not null;
        });
        await tls.AuthenticateAsClientAsync(name);
        return seen!;
    }
}
