using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndTests;

/// <summary>
/// A host in this process with its embedded broker, pointed at a PACS, and one device uploading
/// to it over mutual TLS as an appliance would: what the PACS tests share.
/// </summary>
internal sealed class PacsHostRig(TempFolder folder) : IAsyncDisposable
{
    public const string DeviceId = "pacs-dev-01";
    private WebApplication? _host;
    private ProvisioningBundle? _bundle;

    public WebApplication Running => _host ?? throw new InvalidOperationException("the host is not running");

    public T Service<T>() where T : notnull => Running.Services.GetRequiredService<T>();

    /// <summary>The host's data folder, for its command line.</summary>
    public string DataFolderSetting => $"--Host:DataFolder={Path.Combine(folder.Path, "host")}";

    public async Task StartAsync(Uri? pacs, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Broker:Port"] = "0",
            ["Pacs:DicomWebUrl"] = pacs?.AbsoluteUri,
            ["Pacs:FirstRetry"] = "00:00:00.200",
            ["Pacs:LongestRetry"] = "00:00:01",
            ["Pacs:CheckInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        _host = await EmbeddedSuite.StartHostAsync(folder.Path, LogLevel.Warning, hostSettings: all);
    }

    public async Task StopAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    /// <summary>A sealed series for a job the host issued to the device.</summary>
    public async Task<SealedSeries> IssueSeriesAsync(string patientId)
    {
        _bundle ??= Service<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", Service<EmbeddedMqttBroker>().BoundPort);
        var job = await Service<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, patientId, "left forearm", ConsentScope.DirectCare), "test", CancellationToken.None);
        return SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: Service<IHostSealingKey>().PublicKey, signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), side: 48);
    }

    /// <summary>Uploads the series over the embedded broker; the host's answer to its end.</summary>
    public async Task<TransferProgress> UploadAsync(SealedSeries series)
    {
        using var certificate = MutualTls.LoadWithKey(_bundle!.CertificatePem, _bundle.PrivateKeyPem);
        await using var device = await RawDevice.ConnectAsync(await MqttTestClient.ConnectAsync(Service<EmbeddedMqttBroker>().BoundPort, DeviceId, certificate), DeviceId);
        return await device.UploadAsync(TransferScript.For(DeviceId, series.Envelope(), TransferOffer.MinChunkSize));
    }

    /// <summary>A series for a job the host issued, uploaded and filed; returns it as filed.</summary>
    public async Task<FiledSeries> FileASeriesAsync(string patientId)
    {
        var series = await IssueSeriesAsync(patientId);
        Assert.Equal(TransferState.Filed, (await UploadAsync(series)).State);
        return (await Service<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None))!;
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
