using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Host.Core.Support;

/// <summary>One release and the date its security updates end (its defined support period, UK PSTI / ETSI EN 303 645 5.3-13).</summary>
public sealed record SupportedRelease(string Version, DateOnly Released, DateOnly SecurityUpdatesUntil);

/// <summary>Where one version stands: supported until a date, past it, or not a release we published.</summary>
public sealed record SupportStanding(string? Version, DateOnly? Until, bool Known, bool Ended)
{
    public string Describe() =>
        !Known ? "unknown release: no support period"
        : Ended ? $"support ended {Until:yyyy-MM-dd}: update"
        : $"until {Until:yyyy-MM-dd}";
}

/// <summary>
/// The published support periods (<c>docs/support-periods.json</c>, built into the host so the
/// pages and the documents cannot disagree).
/// </summary>
public sealed class ReleaseSupport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, SupportedRelease> _releases;

    public ReleaseSupport()
        : this(typeof(ReleaseSupport).Assembly.GetManifestResourceStream("support-periods.json")
            ?? throw new InvalidOperationException("the support periods are not built into the host"))
    {
    }

    public ReleaseSupport(Stream periods)
    {
        var document = JsonSerializer.Deserialize<PeriodsDocument>(periods, Json) ?? throw new InvalidDataException("empty support periods");
        Policy = document.Policy;
        Releases = document.Releases;
        _releases = document.Releases.ToDictionary(r => r.Version, StringComparer.Ordinal);
    }

    public string Policy { get; }

    public IReadOnlyList<SupportedRelease> Releases { get; }

    public SupportStanding For(string? version, DateTimeOffset now)
    {
        // "0.1.0+abc123" and "0.1.0" are the same release.
        var release = version?.Split('+')[0];
        return release is not null && _releases.TryGetValue(release, out var known)
            ? new SupportStanding(release, known.SecurityUpdatesUntil, true, DateOnly.FromDateTime(now.UtcDateTime) > known.SecurityUpdatesUntil)
            : new SupportStanding(release, null, false, false);
    }

    private sealed record PeriodsDocument(
        [property: JsonRequired] string Policy,
        [property: JsonRequired] IReadOnlyList<SupportedRelease> Releases);
}
