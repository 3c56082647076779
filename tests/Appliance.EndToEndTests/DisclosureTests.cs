using System.Globalization;
using System.Net;
using Appliance.Demo;
using Appliance.Host.Core.Users;
using Appliance.Host.Web.Pages;
using Appliance.Protocol;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;
using MQTTnet;
using MQTTnet.Protocol;

namespace Appliance.EndToEndTests;

/// <summary>How a finder reports a flaw without an account, and how long each release is supported, as a stranger and an admin see them.</summary>
public sealed class DisclosureTests(SuiteFixture fixture) : IClassFixture<SuiteFixture>
{
    private EmbeddedSuite Suite => fixture.Suite;

    [Fact]
    public async Task SecurityTxt_IsServedToAnyone_WithAContactAFutureExpiryAndAPolicyThatAnswers()
    {
        using var stranger = HostPages.NewClient(Suite.Host);
        using var response = await stranger.GetAsync("/.well-known/security.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var fields = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2)).ToLookup(p => p[0], p => p[1]);
        Assert.StartsWith("mailto:", Assert.Single(fields["Contact"]), StringComparison.Ordinal);
        var expires = DateTimeOffset.Parse(Assert.Single(fields["Expires"]), CultureInfo.InvariantCulture);
        Assert.InRange(expires, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(365));
        Assert.Equal($"{Suite.HostUrl}/.well-known/security.txt", Assert.Single(fields["Canonical"]));

        using var policy = await stranger.GetAsync(new Uri(Assert.Single(fields["Policy"])));
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        Assert.Equal("/security-policy", policy.RequestMessage!.RequestUri!.AbsolutePath); // not sent to sign in
        Assert.Contains("within **5 working days**", await policy.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAboutPage_ShowsThisRelease_AndItsSupportPeriod()
    {
        Suite.HostService<UserService>().Add("derm.about", UserRoles.Dermatologist, "dermatology 12345", "test");
        using var client = await HostPages.SignInAsync(Suite.Host, "derm.about", "dermatology 12345");

        var page = await client.GetStringAsync("/About");

        Assert.Contains($"<strong id=\"version\">{AboutModel.Version}</strong>", page, StringComparison.Ordinal);
        Assert.Contains("security updates until 2031-12-01", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFleetPage_MarksAnApplianceRunningFirmwareWithNoSupportPeriod()
    {
        var (certificate, _) = fixture.ProvisionOther("old-firmware-01");
        using var device = await fixture.TryConnectAsync("old-firmware-01", certificate);
        Assert.NotNull(device);
        var status = new ApplianceStatus("old-firmware-01", ApplianceState.Idle, "0.0.9", 0, DateTimeOffset.UtcNow);
        await device.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(ApplianceTopics.Status("old-firmware-01")).WithPayload(ProtocolJson.Serialize(status)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Suite.HostService<UserService>().Add("it.about", UserRoles.Admin, "admin password 123", "test");
        using var admin = await HostPages.SignInAsync(Suite.Host, "it.about", "admin password 123");

        await Poll.UntilAsync(async () => (await admin.GetStringAsync("/Admin/Fleet")).Contains("<td data-field=\"firmware\">0.0.9</td>", StringComparison.Ordinal), "the old firmware's status on the fleet page");
        var fleet = await admin.GetStringAsync("/Admin/Fleet");
        var oldRow = fleet[fleet.IndexOf("data-device=\"old-firmware-01\"", StringComparison.Ordinal)..];
        Assert.Contains("<td data-field=\"support\" class=\"bad\">unknown release: no support period</td>", oldRow[..oldRow.IndexOf("</tr>", StringComparison.Ordinal)], StringComparison.Ordinal);
        var ours = fleet[fleet.IndexOf($"data-device=\"{Suite.DeviceId}\"", StringComparison.Ordinal)..];
        Assert.Contains("<td data-field=\"support\" class=\"\">until 2031-12-01</td>", ours[..ours.IndexOf("</tr>", StringComparison.Ordinal)], StringComparison.Ordinal);
    }
}
