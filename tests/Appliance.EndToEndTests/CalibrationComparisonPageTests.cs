using Appliance.EndToEndKit;
using Appliance.Host.Core;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestKit;

namespace Appliance.EndToEndTests;

/// <summary>
/// Comparing a lesion's visits: the series page warns, beside each earlier series, when the two
/// were not taken under the same calibration or one was taken under an expired one, and warns on
/// a series taken after its own calibration expired; two visits under one valid calibration carry
/// no warning.
/// </summary>
public sealed class CalibrationComparisonPageTests
{
    private const string Password = "a long passphrase for tests";

    [Fact]
    public async Task EarlierVisitsUnderAnotherOrAnExpiredCalibration_AreMarked_OnTheSeriesPage()
    {
        await using var rig = new PacsHostRig("calibration-comparison");
        await rig.StartAsync(pacs: null);
        var profiles = rig.Service<ICalibrationProfiles>();
        var current = FakeCalibrationStore.Valid(PacsHostRig.DeviceId, TimeSpan.FromDays(20)) with { ProfileId = "profile-current" };
        var expired = FakeCalibrationStore.Valid(PacsHostRig.DeviceId, TimeSpan.FromDays(-1)) with { ProfileId = "profile-expired" };
        Assert.Equal(ProfileAdded.Added, await profiles.AddProfileAsync(current, CancellationToken.None));
        Assert.Equal(ProfileAdded.Added, await profiles.AddProfileAsync(expired, CancellationToken.None));

        var uploaded = new List<string>();
        foreach (var calibration in (string[])["profile-current", "profile-current", "profile-expired"])
        {
            var series = await rig.IssueSeriesAsync("COMPARE-PATIENT-1", "naevus-back-1", calibration);
            Assert.Equal(TransferState.Filed, (await rig.UploadAsync(series)).State);
            uploaded.Add(series.Manifest.SeriesId);
        }

        rig.Service<UserService>().Add("derm.c", UserRoles.Dermatologist, Password, "admin");
        using var pages = await HostPages.SignInAsync(rig.Running, "derm.c", Password);
        var first = await pages.GetStringAsync(new Uri($"/Series/View/{uploaded[0]}", UriKind.Relative));
        var late = await pages.GetStringAsync(new Uri($"/Series/View/{uploaded[2]}", UriKind.Relative));

        // The same valid calibration: nothing to say. The third visit, under an expired one: said on both pages.
        Assert.DoesNotMatch($"data-series=\"{uploaded[1]}\">[^<]*<a[^>]*>[^<]*</a>[^<]*<span class=\"warn calibration-note\"", first);
        Assert.Matches($"data-series=\"{uploaded[2]}\">[\\s\\S]*?taken under an expired calibration; a different calibration \\(profile-expired", first);
        Assert.DoesNotContain("id=\"calibration-expired\"", first, StringComparison.Ordinal);
        Assert.Contains("id=\"calibration-expired\"", late, StringComparison.Ordinal);
        Assert.Matches($"data-series=\"{uploaded[0]}\">[\\s\\S]*?a different calibration \\(profile-current", late);
    }
}
