using System.Text;
using System.Text.RegularExpressions;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Support;
using Appliance.Host.Web;
using Appliance.Host.Web.Pages;
using Appliance.Host.Web.Pages.Admin;

namespace Appliance.EndToEndTests;

/// <summary>The published support periods: one source, shown the same everywhere, and applied to the fleet.</summary>
public sealed class ReleaseSupportTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ThisRelease_HasAPublishedSupportPeriod_OfAtLeastFiveYears()
    {
        var release = Assert.Single(new ReleaseSupport().Releases, r => r.Version == AboutModel.Version);
        Assert.True(release.SecurityUpdatesUntil >= release.Released.AddYears(5));
    }

    [Fact]
    public void TheDisclosurePolicysTable_IsTheSupportPeriodsTheHostReads()
    {
        var policy = Disclosure.Policy();
        var table = policy[policy.IndexOf("## Support periods", StringComparison.Ordinal)..];
        var rows = Regex.Matches(table, @"^\| ([0-9][^ |]*) \| ([0-9-]{10}) \| ([0-9-]{10}) \|$", RegexOptions.Multiline)
            .Select(m => new SupportedRelease(m.Groups[1].Value, DateOnly.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

        Assert.NotEmpty(rows);
        Assert.Equal(new ReleaseSupport().Releases, rows);
        Assert.Contains("within **5 working days**", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void AReleasePastItsDate_IsEnded_AndAVersionNeverPublished_IsUnknown()
    {
        var support = new ReleaseSupport(new MemoryStream(Encoding.UTF8.GetBytes("""
            { "policy": "test", "releases": [
              { "version": "0.0.5", "released": "2020-01-01", "securityUpdatesUntil": "2025-01-01" },
              { "version": "0.1.0", "released": "2026-12-01", "securityUpdatesUntil": "2031-12-01" } ] }
            """)));

        Assert.Equal(new SupportStanding("0.0.5", new DateOnly(2025, 1, 1), true, true), support.For("0.0.5", Now));
        Assert.Equal(new SupportStanding("0.1.0", new DateOnly(2031, 12, 1), true, false), support.For("0.1.0+4f2a9c1", Now));
        Assert.False(support.For("0.1.0", new DateTimeOffset(2031, 12, 1, 23, 0, 0, TimeSpan.Zero)).Ended); // the last day still counts
        Assert.True(support.For("0.1.0", new DateTimeOffset(2031, 12, 2, 0, 0, 0, TimeSpan.Zero)).Ended);
        Assert.False(support.For("9.9.9", Now).Known);
    }

    [Theory]
    [InlineData("0.0.5", true, "support ended 2025-01-01: update")]
    [InlineData("7.0.0", true, "unknown release: no support period")]
    [InlineData("0.1.0", false, "until 2031-12-01")]
    public void TheFleetPage_MarksFirmwarePastItsSupportOrNeverPublished(string firmware, bool marked, string said)
    {
        var support = new ReleaseSupport(new MemoryStream(Encoding.UTF8.GetBytes("""
            { "policy": "test", "releases": [
              { "version": "0.0.5", "released": "2020-01-01", "securityUpdatesUntil": "2025-01-01" },
              { "version": "0.1.0", "released": "2026-12-01", "securityUpdatesUntil": "2031-12-01" } ] }
            """)));
        var entry = new FleetEntry("clinic-a-01", true, "idle", Now, firmware, 0, null, null, null, null, false, null, support.For(firmware, Now));

        var row = FleetRow.From(entry, Now);

        Assert.Equal(marked, row.Unsupported);
        Assert.Equal(said, row.Support);
    }
}
