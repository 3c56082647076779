using System.Device.Gpio;
using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.Firmware.Devices.Gpio;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Users;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

/// <summary>
/// Positive identification: from the job's page, staff ask which appliance is armed for their
/// patient; that appliance (and only while armed for this job) lights white and beeps three
/// times, and its screen picks out the code the job's page shows; the job's timeline records
/// that it showed itself, and the job stays armed.
/// </summary>
public sealed class IdentifyApplianceTests
{
    private const string Password = "clinic password 123";

    [Fact]
    public async Task TheApplianceArmedForTheJob_ShowsItself_WhenStaffAskFromTheJobPage()
    {
        using var folder = new TempFolder("identify-appliance");
        await using var suite = await EmbeddedSuite.StartAsync(folder.Path, applianceSettings: SuiteScreen.Enabled);
        suite.HostService<UserService>().Add("nurse.id", UserRoles.Clinic, Password, "test");
        var job = await suite.CreateJobAndWaitArmedAsync("IDENTIFY-PATIENT-1", "left forearm", ConsentScope.DirectCare, CancellationToken.None);
        var tracker = suite.HostService<JobTracker>();
        var fleet = suite.HostService<Appliance.Host.Core.Fleet.FleetState>();
        // The host records a status in the fleet before the job's timeline: the first change to the job
        // after the appliance said "identifying" is that step (a late "armed" before it is not).
        var identifying = 0;
        void OnStatus(object? sender, ApplianceStatus status)
        {
            if (status.State == ApplianceState.Identifying && status.JobId == job.JobId)
            {
                Volatile.Write(ref identifying, 1);
            }
        }

        fleet.StatusReceived += OnStatus;
        var shown = EmbeddedSuite.WaitFor<string>(h => tracker.Changed += h, h => tracker.Changed -= h, id => id == job.JobId && Volatile.Read(ref identifying) == 1);

        using var clinic = await HostPages.SignInAsync(suite.Host, "nurse.id", Password);
        var page = await clinic.GetStringAsync($"/Clinic/Job/{job.JobId}");
        var code = System.Text.RegularExpressions.Regex.Match(page, "<strong id=\"job-code\">([A-Z0-9]{4})</strong>").Groups[1].Value;
        Assert.Equal(JobCodes.For(job.JobId), code);
        var picked = suite.SaveScreenAsync(folder.Combine("screen-identify.bmp"), c => c.Identifying, CancellationToken.None);
        using var answer = await HostPages.PostFormAsync(clinic, $"/Clinic/Job/{job.JobId}", $"/Clinic/Job/{job.JobId}?handler=Identify", []);
        Assert.Contains("lights white and beeps three times", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await shown.WaitAsync(TimeSpan.FromSeconds(15));
        fleet.StatusReceived -= OnStatus;
        // The screen: the page's code, black on white as the status light is white.
        Assert.Equal(code, (await picked.WaitAsync(TimeSpan.FromSeconds(15))).JobCode);
        using (var bmp = File.OpenRead(folder.Combine("screen-identify.bmp")))
        {
            Assert.True(Appliance.Firmware.Devices.Camera.Bmp24.TryDecode(bmp, out _, out _, out var picture, out var error), error);
            for (var i = 0; i < code.Length; i++)
            {
                Assert.Null(ScreenGlyphs.Mismatch(picture, code[i], Appliance.Firmware.Devices.Screen.ScreenLayout.Column.Left + 8 + (i * 18), 30, 3, ink: (0, 0, 0)));
            }
        }

        var progress = (await tracker.FindAsync(job.JobId, CancellationToken.None))!;
        Assert.Equal(JobStates.Identified, progress.Events[^1].State);
        Assert.Equal(JobStates.Armed, progress.State); // still waiting for the capture
        var pins = suite.ApplianceService<IOptions<PinMapOptions>>().Value;
        var driver = suite.ApplianceService<SimulatedGpioDriver>();
        // White: all three status pins high at once, at some moment.
        var high = new HashSet<int>();
        var white = false;
        foreach (var write in driver.Timeline.Where(w => w.Pin == pins.StatusRedPin || w.Pin == pins.StatusGreenPin || w.Pin == pins.StatusBluePin))
        {
            if (write.Value == PinValue.High)
            {
                high.Add(write.Pin);
            }
            else
            {
                high.Remove(write.Pin);
            }

            white |= high.Count == 3;
        }

        Assert.True(white, "the status light never showed white");

        // Filed, the job has nothing left to identify.
        await suite.PressAndWaitFiledAsync(CancellationToken.None);
        using var after = await HostPages.PostFormAsync(clinic, $"/Clinic/Job/{job.JobId}", $"/Clinic/Job/{job.JobId}?handler=Identify", []);
        Assert.Contains("not waiting for a capture", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
