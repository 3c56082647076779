using Appliance.Demo;
using Appliance.EndToEndKit;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Users;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// A series accepted at the appliance and destroyed by a wipe before the host filed it: the host,
/// told by the appliance's signed report over the broker, puts the patient on the clinic page to
/// recall and the episode on the fleet page (without the patient), until staff record the recall.
/// </summary>
public sealed class LostSeriesRecallPageTests
{
    private const string DeviceId = "recall-dev-01";
    private const string Password = "a long passphrase for tests";

    [Fact]
    public async Task AWipedAppliancesUnfiledSeries_PutsThePatientOnTheClinicPageToRecall_UntilStaffRecordIt()
    {
        using var folder = new TempFolder("lost-series-recall");
        // Overdue after a second, so the series is raised as not filed before the wipe destroys it.
        var host = await EmbeddedSuite.StartHostAsync(folder.Path, hostSettings: new Dictionary<string, string?>
        {
            ["Jobs:FilingOverdueAfter"] = "00:00:01",
            ["Jobs:OverdueCheckInterval"] = "00:00:00.100",
        });
        try
        {
            await RunAsync(host);
        }
        finally
        {
            // Stopped before it is disposed: the watch looks at the archive every 100 ms, and disposing
            // a host does not stop its services (LiteDB's shared-mode lock must be released by its holder).
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    private static async Task RunAsync(Microsoft.AspNetCore.Builder.WebApplication host)
    {
        T Host<T>() where T : notnull => host.Services.GetRequiredService<T>();
        var bundle = Host<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", Host<EmbeddedMqttBroker>().BoundPort);
        var job = await Host<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, "RECALL-PATIENT-7", "left shin", ConsentScope.DirectCare), "nurse.a", CancellationToken.None);
        var seriesId = Guid.NewGuid().ToString();
        Host<UserService>().Add("nurse.b", UserRoles.Clinic, Password, "admin");
        Host<UserService>().Add("it.admin", UserRoles.Admin, Password, "admin");

        using var certificate = MutualTls.LoadWithKey(bundle.CertificatePem, bundle.PrivateKeyPem);
        await using (var device = await RawDevice.ConnectAsync(await MqttTestClient.ConnectAsync(Host<EmbeddedMqttBroker>().BoundPort, DeviceId, certificate), DeviceId))
        {
            // Accepted at the appliance (the patient goes home), then wiped before it was uploaded.
            var tracker = Host<JobTracker>();
            // Two changes to the job: accepted, then raised as overdue.
            var changes = 0;
            var overdue = EmbeddedSuite.WaitFor<string>(h => tracker.Changed += h, h => tracker.Changed -= h, id => id == job.JobId && Interlocked.Increment(ref changes) == 2);
            await device.PublishAsync(ApplianceTopics.Status(DeviceId), ProtocolJson.Serialize(new ApplianceStatus(DeviceId, ApplianceState.Accepted, "0.1.0", 1, DateTimeOffset.UtcNow, job.JobId, SeriesId: seriesId)));
            await overdue.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(JobStates.FilingOverdue, (await tracker.FindAsync(job.JobId, CancellationToken.None))!.State);
            await AssertPagesAsync(host, "Not filed yet", "overdue-filing-jobs", job);

            var lost = EmbeddedSuite.WaitFor<string>(h => tracker.Changed += h, h => tracker.Changed -= h, id => id == job.JobId);
            await device.PublishAsync(ApplianceTopics.Wiped(DeviceId), SignedWipeReports.Create(DeviceId, bundle.SigningPrivateKey, WipeTrigger.Local, 1));
            await lost.WaitAsync(TimeSpan.FromSeconds(15));
        }

        await AssertPagesAsync(host, "Patients to recall", "lost-series-jobs", job);
        using (var admin = await AdminAsync(host))
        {
            Assert.Contains(seriesId, await admin.GetStringAsync(new Uri("/Admin/Fleet", UriKind.Relative)), StringComparison.Ordinal);
        }

        using var clinic = await HostPages.SignInAsync(host, "nurse.b", Password);
        using var recorded = await HostPages.PostFormAsync(clinic, "/Clinic", "/Clinic?handler=ArrangeRecall", [new("jobId", job.JobId)]);
        var after = await recorded.Content.ReadAsStringAsync();
        Assert.Contains("Recall recorded as arranged", after, StringComparison.Ordinal);
        Assert.DoesNotContain("Patients to recall", after, StringComparison.Ordinal);
        Assert.Equal(JobStates.RecallArranged, (await Host<JobTracker>().FindAsync(job.JobId, CancellationToken.None))!.State);
    }

    private static Task<HttpClient> AdminAsync(Microsoft.AspNetCore.Builder.WebApplication host) => HostPages.SignInAsync(host, "it.admin", Password);

    /// <summary>The clinic page names the patient under <paramref name="heading"/>; the fleet page names the episode in its table, never the patient.</summary>
    private static async Task AssertPagesAsync(Microsoft.AspNetCore.Builder.WebApplication host, string heading, string fleetTable, CaptureJobRecord job)
    {
        using var admin = await AdminAsync(host);
        using var clinic = await HostPages.SignInAsync(host, "nurse.b", Password);
        var page = await clinic.GetStringAsync(new Uri("/Clinic", UriKind.Relative));
        Assert.Contains(heading, page, StringComparison.Ordinal);
        Assert.Matches($"<tr data-job=\"{job.JobId}\">\\s*<td>.+</td>\\s*<td>{DeviceId}</td>\\s*<td>RECALL-PATIENT-7</td>", page);

        var fleet = await admin.GetStringAsync(new Uri("/Admin/Fleet", UriKind.Relative));
        Assert.Matches($"id=\"{fleetTable}\"[\\s\\S]*<tr data-job=\"{job.JobId}\">\\s*<td>{DeviceId}</td>\\s*<td>{job.EpisodeCode}</td>", fleet);
        Assert.DoesNotContain("RECALL-PATIENT-7", fleet, StringComparison.Ordinal);
    }
}
