using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;


namespace Appliance.EndToEndKit;

/// <summary>
/// Signs in to the host's pages the way a browser does (form, antiforgery token, cookie), for
/// HTTP-level tests, over HTTPS that trusts the host's own CA, as a clinic workstation does once
/// IT has installed it (and checks the name, as a browser does).
/// </summary>
public static partial class HostPages
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("<form[^>]*action=\"([^\"]*)\"[^>]*>((?:(?!</form>).)*id=\"sign-out\"(?:(?!</form>).)*)</form>", RegexOptions.Singleline)]
    private static partial Regex SignOutForm();

    /// <summary>A client holding the session cookie of <paramref name="name"/> on <paramref name="host"/>; throws if sign-in fails.</summary>
    /// <param name="cookies">Where the session cookie is kept, for a test that copies it.</param>
    public static Task<HttpClient> SignInAsync(WebApplication host, string name, string password, CookieContainer? cookies = null) =>
        SignInAsync(host.Urls.First(), CaOf(host), name, password, cookies);

    /// <summary>A client holding the session cookie of <paramref name="name"/>; throws if sign-in fails.</summary>
    public static async Task<HttpClient> SignInAsync(string baseUrl, X509Certificate2 trustedCa, string name, string password, CookieContainer? cookies = null)
    {
        var client = NewClient(baseUrl, trustedCa, cookies);
        using var response = await PostFormAsync(client, "/Account/Login", "/Account/Login", new Dictionary<string, string>
        {
            ["UserName"] = name,
            ["Password"] = password,
        });
        if (response.RequestMessage?.RequestUri?.AbsolutePath.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase) != false)
        {
            client.Dispose();
            throw new InvalidOperationException($"sign-in as {name} failed");
        }

        return client;
    }

    /// <summary>A client of <paramref name="host"/> without a session that follows redirects and keeps cookies in <paramref name="cookies"/>.</summary>
    public static HttpClient NewClient(WebApplication host, CookieContainer? cookies = null) => NewClient(host.Urls.First(), CaOf(host), cookies);

    public static HttpClient NewClient(string baseUrl, X509Certificate2 trustedCa, CookieContainer? cookies = null) =>
        new(new HttpClientHandler
        {
            CookieContainer = cookies ?? new CookieContainer(),
            UseCookies = true,
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                certificate is not null
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && MutualTls.ChainsTo(certificate, trustedCa, MutualTls.ServerAuthOid, DateTimeOffset.UtcNow, out _),
        })
        {
            BaseAddress = new Uri(baseUrl),
        };

    /// <summary>The CA a host's pages chain to.</summary>
    public static X509Certificate2 CaOf(WebApplication host) => host.Services.GetRequiredService<FileCertificateAuthority>().Ca;

    /// <summary>
    /// Posts a form as a browser does: loads <paramref name="formPage"/>, takes its antiforgery
    /// token, and posts <paramref name="fields"/> with it to <paramref name="action"/>.
    /// </summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string formPage, string action, IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(client);
        var form = await client.GetStringAsync(formPage);
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        using var content = new FormUrlEncodedContent(fields.Append(new("__RequestVerificationToken", token)));
        return await client.PostAsync(action, content);
    }

    /// <summary>
    /// Presses the layout's "Sign out" button as a browser would: the form's own action and
    /// whatever hidden fields it carries, nothing more.
    /// </summary>
    public static async Task<HttpResponseMessage> SignOutAsync(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var page = await client.GetStringAsync("/");
        var form = SignOutForm().Match(page);
        if (!form.Success)
        {
            throw new InvalidOperationException("no sign-out form on the page");
        }

        var fields = Regex.Matches(form.Groups[2].Value, "<input[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", RegexOptions.None, TimeSpan.FromSeconds(1))
            .Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value)));
        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync(WebUtility.HtmlDecode(form.Groups[1].Value), content);
    }

    /// <summary>The session cookie's value, to copy into another client as a thief would.</summary>
    public static string SessionCookie(HttpClient client, CookieContainer cookies)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cookies);
        return cookies.GetCookies(client.BaseAddress!)["appliance-host"]?.Value ?? throw new InvalidOperationException("no session cookie");
    }
}
