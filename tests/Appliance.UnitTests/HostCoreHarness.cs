using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.UnitTests;

/// <summary>
/// The host's core and infrastructure composed as the host composes them (archive, keys, audit
/// trail and transfer files on disk), not started and with no broker: what the host would
/// publish to a device goes to a <see cref="FakeDeviceMessagePublisher"/> the test can read or cut.
/// One device is provisioned.
/// </summary>
internal sealed class HostCoreHarness : IDisposable
{
    public const string DeviceId = "core-dev-01";
    private readonly TempFolder _folder = new("host-core");
    private readonly IHost _host;

    public HostCoreHarness(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? replace = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Host:DataFolder"] = _folder.Path });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddHostCore().AddHostInfrastructure();
        builder.Services.AddSingleton<IDeviceMessagePublisher>(Publisher);
        replace?.Invoke(builder.Services);
        _host = builder.Build();
        Bundle = Service<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", 8883);
    }

    public FakeDeviceMessagePublisher Publisher { get; } = new();

    public ProvisioningBundle Bundle { get; }

    public string DataFolder => _folder.Path;

    public T Service<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>A sealed, signed series for a capture job the host really issued to the device.</summary>
    public async Task<SealedSeries> IssuedSeriesAsync(byte[]? signingKey = null, int side = 8)
    {
        var job = await Service<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, $"CORE-PATIENT-{Guid.NewGuid():N}", "back", ConsentScope.DirectCare), "test", CancellationToken.None);
        return SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: Service<IHostSealingKey>().PublicKey, signingPrivateKey: signingKey ?? Convert.FromBase64String(Bundle.SigningPrivateKey), side: side);
    }

    /// <summary>Every message of type <typeparamref name="T"/> published to <paramref name="topic"/>, in order.</summary>
    public List<T> Sent<T>(string topic) where T : class =>
        [.. Publisher.Snapshot().Where(m => m.Topic == topic).Select(m => ProtocolJson.TryDeserialize<T>(m.Payload, out var value, out var error) ? value : throw new InvalidDataException(error))];

    public void Dispose()
    {
        _host.Dispose();
        _folder.Dispose();
    }
}
