using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Filing;
using Appliance.Protocol;
using Appliance.TestData;
using Appliance.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.UnitTests;

/// <summary>
/// Filing one upload, with the host's own archive, keys and audit trail on disk but no broker:
/// what reaches the device goes through a publisher the test can cut.
/// </summary>
public sealed class SeriesFilingServiceTests : IDisposable
{
    private const string DeviceId = HostCoreHarness.DeviceId;
    private readonly HostCoreHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private T Service<T>() where T : notnull => _harness.Service<T>();

    private SeriesFilingService Filing => Service<SeriesFilingService>();

    private Task<SealedSeries> IssuedSeriesAsync(byte[]? signingKey = null, int side = 8) => _harness.IssuedSeriesAsync(signingKey, side);

    private int AuditCount(string kind, string seriesId) => Service<IAuditTrail>().ReadAll().Count(e => e.Kind == kind && e.Subject == seriesId);

    private List<FiledReceipt> ReceiptsSent() => _harness.Sent<FiledReceipt>(ApplianceTopics.Receipt(DeviceId));

    [Fact]
    public async Task AVerifiedSeries_IsFiledOnce_AndItsDeviceGetsASignedReceipt()
    {
        var series = await IssuedSeriesAsync();
        var filed = new List<FiledSeries>();
        Filing.Filed += (_, f) => filed.Add(f);

        var outcome = await Filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None);

        Assert.Null(outcome.Rejection);
        Assert.Equal(series.Manifest.SeriesId, Assert.Single(filed).SeriesId);
        Assert.Equal(series.Plain[1], await Service<ISeriesArchive>().ReadFrameAsync(series.Manifest.SeriesId, 1, CancellationToken.None));
        var receipt = Assert.Single(ReceiptsSent());
        Assert.Equal(series.Manifest.Frames.Select(f => f.Sha256), receipt.FrameSha256);
        Assert.True(SeriesSigning.VerifyBytes(Service<IHostSigningKey>().PublicKey, receipt.SignedBytes(), receipt.Signature!));
        Assert.Equal(1, AuditCount(AuditKinds.SeriesFiled, series.Manifest.SeriesId));
    }

    [Fact]
    public async Task AReceiptThatCannotBeSent_LeavesTheSeriesFiled_AndOfferingItAgainSendsTheReceipt()
    {
        // A broker restart while the host files: the series is safe in the archive, and the
        // appliance, which keeps its copy until a receipt comes, offers it again later.
        var series = await IssuedSeriesAsync();
        var filed = new List<FiledSeries>();
        Filing.Filed += (_, f) => filed.Add(f);
        _harness.Publisher.Failing = true;

        var outcome = await Filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None);

        Assert.NotNull(outcome.Filed);
        Assert.Single(filed);
        Assert.Empty(ReceiptsSent());

        _harness.Publisher.Failing = false;
        var again = await Filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None);
        Assert.Equal(outcome.Filed!.ArchiveReference, again.Filed!.ArchiveReference);
        Assert.Single(ReceiptsSent());
        Assert.Single(filed);
        Assert.Equal(1, AuditCount(AuditKinds.SeriesFiled, series.Manifest.SeriesId));
    }

    [Fact]
    public async Task ASeriesSignedWithAnotherKey_IsRefused_AndNothingIsFiled()
    {
        var (forger, _) = SeriesSigning.CreateKeyPair();
        var series = await IssuedSeriesAsync(forger);
        var rejected = new List<FilingRejection>();
        Filing.Rejected += (_, r) => rejected.Add(r);

        var outcome = await Filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None);

        Assert.Contains("signature does not verify", outcome.Rejection);
        Assert.Equal(series.Manifest.SeriesId, Assert.Single(rejected).SeriesId);
        Assert.Null(await Service<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));
        Assert.Empty(ReceiptsSent());
    }

    [Fact]
    public async Task ASeriesOnAnotherDevicesTopic_IsRefused()
    {
        var series = await IssuedSeriesAsync();

        var outcome = await Filing.FileAsync("core-dev-02", series.Envelope(), CancellationToken.None);

        Assert.Contains("arrived on core-dev-02's topic", outcome.Rejection);
        Assert.Null(await Service<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));
    }

    [Fact]
    public async Task TruncatedEnvelope_IsRefusedWithAReason()
    {
        var envelope = (await IssuedSeriesAsync()).Envelope();

        var outcome = await Filing.FileAsync(DeviceId, envelope.AsMemory(0, envelope.Length / 2), CancellationToken.None);

        Assert.False(string.IsNullOrEmpty(outcome.Rejection));
        Assert.Null(outcome.Filed);
    }

    [Fact]
    public async Task AnUpload_IsReadAFrameAtATime_NeverWhole()
    {
        // Frames larger than the routing prefix read first, so a whole-envelope read would show.
        var series = await IssuedSeriesAsync(side: 200);
        var upload = new FakeSealedUpload(series.Envelope());

        var outcome = await Filing.FileAsync(DeviceId, upload, CancellationToken.None);

        Assert.NotNull(outcome.Filed);
        var largestFrame = series.Sealed.Max(f => f.Length);
        Assert.True(upload.LargestRead <= Math.Max(largestFrame, SeriesEnvelope.MaxPrefixBytes), $"read {upload.LargestRead} bytes at once; the largest frame is {largestFrame}");
        Assert.True(upload.LargestRead < upload.Length / 2, $"read {upload.LargestRead} of {upload.Length} bytes at once");
        Assert.Equal(series.Plain[0], await Service<ISeriesArchive>().ReadFrameAsync(series.Manifest.SeriesId, 0, CancellationToken.None));
    }

    [Fact]
    public async Task AFrameTamperedBehindItsTag_IsRefused_AndTheFramesAlreadyStoredAreRemoved()
    {
        // The signature covers each frame's tag, not its bytes: the AEAD finds this, on the last frame,
        // after the archive has stored the first.
        var series = await IssuedSeriesAsync(side: 64);
        var envelope = series.Envelope();
        var lastFrameStart = envelope.Length - series.Sealed[^1].Length;
        envelope[lastFrameStart + 100] ^= 0x01;

        var outcome = await Filing.FileAsync(DeviceId, envelope, CancellationToken.None);

        Assert.Contains("fails authentication", outcome.Rejection);
        Assert.Null(await Service<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(_harness.DataFolder, "*.frame", SearchOption.AllDirectories));
        Assert.Empty(ReceiptsSent());
    }

    [Fact]
    public async Task ASeriesIdFiledFromAnotherDevice_IsNotConfirmedToThisOne()
    {
        var series = await IssuedSeriesAsync();
        Assert.NotNull((await Filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None)).Filed);

        var mine = await Filing.ConfirmIfFiledAsync(DeviceId, series.Manifest.SeriesId, null, CancellationToken.None);
        var theirs = await Filing.ConfirmIfFiledAsync("core-dev-02", series.Manifest.SeriesId, null, CancellationToken.None);
        var notFiled = await Filing.ConfirmIfFiledAsync(DeviceId, Guid.NewGuid().ToString(), null, CancellationToken.None);

        Assert.NotNull(mine!.Filed);
        Assert.Contains("filed from another device", theirs!.Rejection);
        Assert.Null(notFiled);
        Assert.Equal(2, ReceiptsSent().Count); // filed, then confirmed again to its own device only
    }

    [Fact]
    public async Task ASeriesWhoseFilingWasNotAudited_IsAuditedOnceWhenItIsConfirmed()
    {
        // An instance that dies between the archive's commit and the audit append leaves a series
        // filed that the trail does not know; the appliance, with no receipt, offers it again.
        var audit = new FakeAuditTrail();
        using var harness = new HostCoreHarness(replace: services => services.AddSingleton<IAuditTrail>(audit));
        var series = await harness.IssuedSeriesAsync();
        var filing = harness.Service<SeriesFilingService>();
        audit.FailingKind = AuditKinds.SeriesFiled;
        await Assert.ThrowsAsync<IOException>(() => filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None));
        Assert.NotNull(await harness.Service<ISeriesArchive>().FindAsync(series.Manifest.SeriesId, CancellationToken.None));
        audit.FailingKind = null;

        var again = await filing.FileAsync(DeviceId, series.Envelope(), CancellationToken.None);
        var offered = await filing.ConfirmIfFiledAsync(DeviceId, series.Manifest.SeriesId, null, CancellationToken.None);

        Assert.NotNull(again.Filed);
        Assert.NotNull(offered!.Filed);
        var entry = Assert.Single(audit.ReadAll(), e => e.Kind == AuditKinds.SeriesFiled && e.Subject == series.Manifest.SeriesId);
        Assert.Contains($"episode {series.Manifest.EpisodeCode}", entry.Details);
        Assert.Equal(2, harness.Sent<FiledReceipt>(ApplianceTopics.Receipt(DeviceId)).Count);
    }
}
