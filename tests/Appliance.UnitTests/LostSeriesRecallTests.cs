using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Orders;
using Appliance.Protocol;
using Appliance.TestData;

namespace Appliance.UnitTests;

/// <summary>
/// After a wipe, the patients to recall: the host names every job whose series its appliance
/// accepted but the host never filed, from the appliance's signed report and its own records;
/// a filed series, or a job not yet captured, is not lost; a report delivered twice names each
/// once; the list empties as staff record each recall.
/// </summary>
public sealed class LostSeriesRecallTests : IDisposable
{
    private const string DeviceId = HostCoreHarness.DeviceId;
    private readonly HostCoreHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private T Service<T>() where T : notnull => _harness.Service<T>();

    private LostSeriesRecall Recall => Service<LostSeriesRecall>();

    private byte[] Report(WipeTrigger trigger, int unsent) => SignedWipeReports.Create(DeviceId, _harness.Bundle.SigningPrivateKey, trigger, unsent);

    private Task StatusAsync(string jobId, ApplianceState state, string? seriesId = null) =>
        Service<JobTracker>().OnStatusAsync(new ApplianceStatus(DeviceId, state, "0.1.0", 1, DateTimeOffset.UtcNow, jobId, SeriesId: seriesId), CancellationToken.None);

    private int Audited(string kind) => Service<IAuditTrail>().ReadAll().Count(e => e.Kind == kind);

    [Fact]
    public async Task AWipe_NamesTheJobsWhoseAcceptedSeriesWasNeverFiled_Once_UntilTheirRecallIsArranged()
    {
        var filed = await _harness.IssuedSeriesAsync();
        var lost = await _harness.IssuedSeriesAsync();
        var armedOnly = await _harness.IssuedSeriesAsync();
        await StatusAsync(filed.Manifest.JobId, ApplianceState.Accepted, filed.Manifest.SeriesId);
        Assert.NotNull((await Service<SeriesFilingService>().FileAsync(DeviceId, filed.Envelope(), CancellationToken.None)).Filed);
        await StatusAsync(lost.Manifest.JobId, ApplianceState.Accepted, lost.Manifest.SeriesId);
        await StatusAsync(armedOnly.Manifest.JobId, ApplianceState.Armed);
        Assert.Empty(await Recall.ListToRecallAsync(null, CancellationToken.None));

        // The dead-man lease ran out while the appliance was away: it wiped itself, and reports so when it can.
        Assert.Null(await Service<DeviceOrderService>().OnWipedAsync(DeviceId, Report(WipeTrigger.Lease, unsent: 1), CancellationToken.None));
        Assert.Null(await Service<DeviceOrderService>().OnWipedAsync(DeviceId, Report(WipeTrigger.Lease, unsent: 1), CancellationToken.None));

        var toRecall = Assert.Single(await Recall.ListToRecallAsync(null, CancellationToken.None));
        Assert.Equal((lost.Manifest.JobId, JobStates.LostInWipe, lost.Manifest.SeriesId), (toRecall.Job.JobId, toRecall.State, toRecall.SeriesId));
        Assert.Contains("lease wipe", toRecall.Events[^1].Detail, StringComparison.Ordinal);
        Assert.Single(await Recall.ListToRecallAsync(DeviceId, CancellationToken.None));
        Assert.Empty(await Recall.ListToRecallAsync("core-dev-02", CancellationToken.None));
        Assert.Equal(1, Audited(AuditKinds.SeriesLostInWipe));
        Assert.Equal(JobStates.Filed, (await Service<JobTracker>().FindAsync(filed.Manifest.JobId, CancellationToken.None))!.State);

        Assert.True(await Recall.ArrangeRecallAsync(lost.Manifest.JobId, "nurse.a", CancellationToken.None));
        Assert.False(await Recall.ArrangeRecallAsync(lost.Manifest.JobId, "nurse.b", CancellationToken.None));
        Assert.False(await Recall.ArrangeRecallAsync(filed.Manifest.JobId, "nurse.b", CancellationToken.None));
        Assert.Empty(await Recall.ListToRecallAsync(null, CancellationToken.None));
        Assert.Equal(JobStates.RecallArranged, (await Service<JobTracker>().FindAsync(lost.Manifest.JobId, CancellationToken.None))!.State);
        Assert.Single(Service<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.RecallArranged && e.Actor == "nurse.a");

        // A later wipe of the same appliance does not name the job again.
        Assert.Null(await Service<DeviceOrderService>().OnWipedAsync(DeviceId, Report(WipeTrigger.Local, unsent: 0), CancellationToken.None));
        Assert.Equal(1, Audited(AuditKinds.SeriesLostInWipe));
    }
}
