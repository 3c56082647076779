using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web;

/// <summary>Section <c>Disclosure</c>: where vulnerabilities in this installation are reported.</summary>
public sealed class DisclosureOptions
{
    public const string Section = "Disclosure";

    /// <summary>
    /// <c>mailto:</c> or <c>https:</c> contacts, in the order to try: the vendor's first; a trust
    /// adds its own security team.
    /// </summary>
    [MinLength(1)]
    public string[] Contact { get; set; } = ["mailto:security@appliancesuite.example"];

    /// <summary>The disclosure policy's address; this host's own copy (<c>/security-policy</c>) when empty.</summary>
    public string? PolicyUrl { get; set; }

    /// <summary>How far ahead security.txt's Expires lies (RFC 9116 asks for less than a year).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "364.00:00:00")]
    public TimeSpan ExpiresAfter { get; set; } = TimeSpan.FromDays(180);
}

/// <summary>
/// What anyone may read without signing in, so that a finder can report a flaw: RFC 9116's
/// <c>/.well-known/security.txt</c> and the disclosure policy it points to (docs/SECURITY.md, as built in).
/// </summary>
public static class Disclosure
{
    public static void AddDisclosure(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DisclosureOptions>().Bind(builder.Configuration.GetSection(DisclosureOptions.Section))
            .Validate(o => o.Contact.All(c => c.StartsWith("mailto:", StringComparison.Ordinal) || c.StartsWith("https://", StringComparison.Ordinal)), "Disclosure:Contact entries are mailto: or https: addresses")
            .ValidateDataAnnotations().ValidateOnStart();
    }

    public static void MapDisclosure(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/.well-known/security.txt", (HttpContext context, IOptions<DisclosureOptions> options, TimeProvider time) =>
        {
            var o = options.Value;
            var origin = $"{context.Request.Scheme}://{context.Request.Host}";
            var text = new StringBuilder();
            foreach (var contact in o.Contact)
            {
                text.Append("Contact: ").Append(contact).Append('\n');
            }

            // Midnight UTC, so the file is the same all day.
            var expires = time.GetUtcNow().UtcDateTime.Date + o.ExpiresAfter;
            text.Append("Expires: ").Append(expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('\n');
            text.Append("Policy: ").Append(string.IsNullOrEmpty(o.PolicyUrl) ? origin + "/security-policy" : o.PolicyUrl).Append('\n');
            text.Append("Preferred-Languages: en\n");
            text.Append("Canonical: ").Append(origin).Append("/.well-known/security.txt\n");
            return Results.Text(text.ToString(), "text/plain; charset=utf-8");
        }).AllowAnonymous();

        app.MapGet("/security-policy", () => Results.Text(Policy(), "text/plain; charset=utf-8")).AllowAnonymous();
    }

    /// <summary>docs/SECURITY.md as built into the host.</summary>
    public static string Policy()
    {
        using var stream = typeof(Core.Support.ReleaseSupport).Assembly.GetManifestResourceStream("SECURITY.md")
            ?? throw new InvalidOperationException("the disclosure policy is not built into the host");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
