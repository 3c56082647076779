using System.Text.Json;
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
/// A host in this process with its embedded broker and one device uploading to it over mutual
/// TLS as an appliance would, with an Orthanc PACS on hand (not started): what the PACS tests,
/// and the series page's, share.
/// </summary>
internal sealed class PacsHostRig(string name) : IAsyncDisposable
{
    public const string DeviceId = "pacs-dev-01";
    private readonly TempFolder _folder = new(name);
    private WebApplication? _host;
    private ProvisioningBundle? _bundle;

    public OrthancServer Pacs { get; } = OrthancServer.Create();

    /// <summary>Orthanc's own REST API, to see what the PACS holds.</summary>
    public HttpClient Orthanc { get; } = new();

    public string Folder => _folder.Path;

    /// <summary>The host's data folder.</summary>
    public string DataFolder => Path.Combine(_folder.Path, "host");

    public WebApplication Running => _host ?? throw new InvalidOperationException("the host is not running");

    public T Service<T>() where T : notnull => Running.Services.GetRequiredService<T>();

    /// <summary>The host's data folder, for its command line.</summary>
    public string DataFolderSetting => $"--Host:DataFolder={DataFolder}";

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

        _host = await EmbeddedSuite.StartHostAsync(_folder.Path, LogLevel.Warning, hostSettings: all);
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

    /// <summary>A sealed series for a job the host issued to the device (of one lesion, under one calibration, if given).</summary>
    public async Task<SealedSeries> IssueSeriesAsync(string patientId, string? lesionLabel = null, string calibrationId = "uncalibrated")
    {
        _bundle ??= Service<DeviceProvisioner>().Provision(DeviceId, "127.0.0.1", Service<EmbeddedMqttBroker>().BoundPort);
        var job = await Service<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(DeviceId, patientId, "left forearm", ConsentScope.DirectCare, lesionLabel), "test", CancellationToken.None);
        return SealedSeriesFactory.Create(DeviceId, job.EpisodeCode, job.JobId, hostPublicKey: Service<IHostSealingKey>().PublicKey, signingPrivateKey: Convert.FromBase64String(_bundle.SigningPrivateKey), side: 48, calibrationId: calibrationId);
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

    /// <summary>What Orthanc's REST API answers at <paramref name="path"/>.</summary>
    public async Task<JsonElement> OrthancAsync(string path) =>
        JsonDocument.Parse(await Orthanc.GetStringAsync(new Uri(Pacs.RestUrl, path))).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Pacs.DisposeAsync();
        Orthanc.Dispose();
        _folder.Dispose();
    }
}
