using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Exports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// Images:Store = DicomWeb: the PACS is where a series' frames are kept. As a series is filed,
/// each frame becomes a Dermoscopic Photography instance (the UIDs derived from the series, so a
/// repeat is the same instance) and goes to the PACS by STOW-RS, one request per frame, so no more
/// than one frame and its instance are in memory; only when the PACS has confirmed every one is
/// the record filed, marked as held by the PACS, and the delivery recorded as sent. Nothing of
/// the pixels is written here. If the PACS is away the filing fails, no receipt goes, and the
/// appliance, which keeps its copy until one does, offers the series again later.
/// </summary>
public sealed partial class DicomWebImageStore(
    ISeriesArchive archive,
    IPacs pacs,
    ICalibrationProfiles profiles,
    IPacsQueue queue,
    IAuditTrail audit,
    IOptions<PacsOptions> options,
    TimeProvider time,
    ILogger<DicomWebImageStore> logger) : SeriesArchiveDecorator(archive)
{
    public override async Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(frames);
        var profile = await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken);
        var uids = DermoscopyUids.Of(series);
        foreach (var frame in series.Frames)
        {
            byte[] instance;
            var pixels = await frames(frame.Index, cancellationToken);
            try
            {
                instance = DermoscopyDicom.InstanceOf(series, frame, pixels, profile, uids);
            }
            finally
            {
                Array.Clear(pixels);
            }

            try
            {
                await StoreAsync(instance, cancellationToken);
            }
            finally
            {
                Array.Clear(instance);
            }
        }

        var filing = await Inner.FileRecordAsync(series, cancellationToken);
        if (!filing.FiledBefore)
        {
            // One step: a delivery queued here even for a moment would be taken and sent again by a forwarder.
            await queue.RecordSentAsync(series.SeriesId, time.GetUtcNow(), series.Frames.Count, cancellationToken);
            audit.Append(AuditKinds.SeriesSentToPacs, "dicomweb-store", series.SeriesId, $"{series.Frames.Count} instances to {pacs.Describe()} as it was filed; no copy of the frames kept here");
            LogStored(logger, series.SeriesId, series.Frames.Count);
        }

        return filing;
    }

    private async Task StoreAsync(byte[] instance, CancellationToken cancellationToken)
    {
        var limit = options.Value.RequestTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await pacs.StoreAsync([instance], timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the PACS did not answer within {limit}");
        }
    }

    [LoggerMessage(EventId = 5806, Level = LogLevel.Information, Message = "Series {SeriesId} filed into the PACS: {Instances} instances")]
    private static partial void LogStored(ILogger logger, string seriesId, int instances);
}
