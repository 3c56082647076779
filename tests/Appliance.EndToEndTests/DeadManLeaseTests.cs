using Appliance.Demo;
using Appliance.Firmware.Core;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Appliance.Firmware.Storage.Wipe;

namespace Appliance.EndToEndTests;

public sealed class DeadManLeaseTests
{
    [Fact]
    public async Task ApplianceThatCannotReachItsHost_WipesItselfWhenTheLeaseRunsOut_NotADayBefore()
    {
        using var folder = new TempFolder("dead-man");
        var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var broker = host.Services.GetRequiredService<EmbeddedMqttBroker>();
        var bundle = host.Services.GetRequiredService<DeviceProvisioner>().Provision("lost-appliance-01", "127.0.0.1", broker.BoundPort);
        var applianceFolder = folder.Combine("appliance");
        DeviceProvisioner.WriteBundle(bundle, Path.Combine(applianceFolder, "bundle.json"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var appliance = EmbeddedSuite.BuildAppliance(applianceFolder, LogLevel.Warning, services: s => s.AddSingleton<TimeProvider>(clock));
        var ledger = appliance.Services.GetRequiredService<IHostOrderLedger>();
        var wipe = appliance.Services.GetRequiredService<WipeSignal>();
        await appliance.StartAsync();

        // Connected: the host renews the lease.
        await Poll.UntilAsync(() => ledger.Current.LastCounter > 0, "the host renews the lease");
        Assert.Equal(clock.GetUtcNow(), ledger.Current.LastContactAt);
        // Then the host is gone for good (the appliance was taken from the clinic).
        await host.DisposeAsync();

        // A day short of the lease: the watch looks again (an event, not a pause) and does nothing.
        var lease = appliance.Services.GetRequiredService<DeadManLease>();
        var looked = EmbeddedSuite.WaitFor<TimeSpan>(h => lease.Checked += h, h => lease.Checked -= h, left => left <= TimeSpan.FromHours(1));
        clock.Advance(TimeSpan.FromDays(13) + TimeSpan.FromHours(23));
        Assert.InRange(await looked.WaitAsync(TimeSpan.FromSeconds(10)), TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.False(wipe.Requested.IsCompleted);
        Assert.True(File.Exists(Path.Combine(applianceFolder, "bundle.json")));

        clock.Advance(TimeSpan.FromHours(2));
        var request = await wipe.Requested.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WipeTrigger.Lease, request.Trigger);
        await Poll.UntilAsync(() => appliance.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the appliance stops after wiping itself");
        await appliance.Services.GetRequiredService<CryptoEraser>().TrashDeletion;
        Assert.Equal([CryptoEraser.MarkerName], Directory.EnumerateFileSystemEntries(applianceFolder).Select(Path.GetFileName));
        Assert.Equal(WipeTrigger.Lease, CryptoEraser.ReadMarker(applianceFolder)!.Trigger);
    }
}
