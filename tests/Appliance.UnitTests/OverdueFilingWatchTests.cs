using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>
/// A series accepted at the appliance and not filed in time is raised once, on the host's clock;
/// one filed, or a job not yet captured, never is; a late filing takes it off the list.
/// </summary>
public sealed class OverdueFilingWatchTests : IDisposable
{
    private const string DeviceId = HostCoreHarness.DeviceId;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly HostCoreHarness _harness;

    public OverdueFilingWatchTests() =>
        _harness = new HostCoreHarness(new Dictionary<string, string?> { ["Jobs:FilingOverdueAfter"] = "00:30:00" }, services => services.AddSingleton<TimeProvider>(_clock));

    public void Dispose() => _harness.Dispose();

    private T Service<T>() where T : notnull => _harness.Service<T>();

    private Task StatusAsync(string jobId, ApplianceState state, string? seriesId = null) =>
        Service<JobTracker>().OnStatusAsync(new ApplianceStatus(DeviceId, state, "0.1.0", 1, _clock.GetUtcNow(), jobId, SeriesId: seriesId), CancellationToken.None);

    private Task<IReadOnlyList<JobProgress>> OverdueAsync() => Service<JobTracker>().ListStandingAtAsync(JobStates.FilingOverdue, null, CancellationToken.None);

    [Fact]
    public async Task AnAcceptedSeriesNotFiledInTime_IsRaisedOnce_AndAFilingTakesItOffTheList()
    {
        var late = await _harness.IssuedSeriesAsync();
        var prompt = await _harness.IssuedSeriesAsync();
        var armed = await _harness.IssuedSeriesAsync();
        await StatusAsync(late.Manifest.JobId, ApplianceState.Accepted, late.Manifest.SeriesId);
        await StatusAsync(prompt.Manifest.JobId, ApplianceState.Accepted, prompt.Manifest.SeriesId);
        await StatusAsync(armed.Manifest.JobId, ApplianceState.Armed);
        Assert.NotNull((await Service<SeriesFilingService>().FileAsync(DeviceId, prompt.Envelope(), CancellationToken.None)).Filed);
        var watch = Service<OverdueFilingWatch>();

        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Empty(await watch.CheckAsync(CancellationToken.None));

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(late.Manifest.JobId, Assert.Single(await watch.CheckAsync(CancellationToken.None)).Job.JobId);
        Assert.Empty(await watch.CheckAsync(CancellationToken.None)); // raised once
        var overdue = Assert.Single(await OverdueAsync());
        Assert.Contains($"the images are still on {DeviceId}", overdue.Events[^1].Detail, StringComparison.Ordinal);
        Assert.Single(Service<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.FilingOverdue && e.Subject == late.Manifest.JobId);

        // The appliance comes back and the series is filed after all.
        Assert.NotNull((await Service<SeriesFilingService>().FileAsync(DeviceId, late.Envelope(), CancellationToken.None)).Filed);
        Assert.Empty(await OverdueAsync());
        Assert.Equal(JobStates.Filed, (await Service<JobTracker>().FindAsync(late.Manifest.JobId, CancellationToken.None))!.State);
    }
}
