using System.Net;
using System.Text.RegularExpressions;

namespace Appliance.TestKit;

/// <summary>Signs in to the host's pages the way a browser does (form, antiforgery token, cookie), for HTTP-level tests.</summary>
public static partial class HostPages
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    /// <summary>A client holding the session cookie of <paramref name="name"/>; throws if sign-in fails.</summary>
    public static async Task<HttpClient> SignInAsync(string baseUrl, string name, string password)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(baseUrl) };
        var form = await client.GetStringAsync("/Account/Login");
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = name,
            ["Password"] = password,
            ["__RequestVerificationToken"] = token,
        });
        using var response = await client.PostAsync("/Account/Login", content);
        if (response.RequestMessage?.RequestUri?.AbsolutePath.StartsWith("/Account/Login", StringComparison.OrdinalIgnoreCase) != false)
        {
            client.Dispose();
            throw new InvalidOperationException($"sign-in as {name} failed");
        }

        return client;
    }
}
