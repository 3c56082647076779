using Appliance.Host.Core.Audit;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;

namespace Appliance.Host.Core.Filing;

/// <summary>Why a series was not filed; the appliance keeps it and an operator sees the reason.</summary>
public sealed record FilingRejection(string DeviceId, string? SeriesId, string Reason);

/// <summary>What became of one upload: filed (now or before), or refused with a reason.</summary>
public sealed record FilingOutcome(FiledSeries? Filed, string? Rejection);

/// <summary>
/// Files an uploaded series: decode, check that it comes from the device whose topic it used,
/// open the sealed manifest, match it to its capture job, unseal the frames, verify every frame's digest, store it encrypted, and send
/// the device its receipt. Idempotent: a series that is already filed gets its receipt again.
/// </summary>
public sealed partial class SeriesFilingService(
    ISeriesArchive archive,
    ICaptureJobRepository jobs,
    IHostSealingKey sealingKey,
    IDeviceSigningKeys signingKeys,
    IHostSigningKey hostSigningKey,
    IAuditTrail audit,
    IDeviceMessagePublisher publisher,
    IEnumerable<IFiledSeriesHandOver> handOvers,
    TimeProvider time,
    ILogger<SeriesFilingService> logger)
{
    public event EventHandler<FiledSeries>? Filed;

    public event EventHandler<FilingRejection>? Rejected;

    /// <summary>Files one upload held in memory; never throws for bad input, only for infrastructure failures.</summary>
    public Task<FilingOutcome> FileAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        FileAsync(deviceId, new MemoryUpload(payload), cancellationToken);

    /// <summary>
    /// Files one upload, reading it a piece at a time: the routing and manifest, the frames'
    /// tags for the signature, then one frame at a time into the archive (which writes one while
    /// it seals the next), so that never more than two frames of a series are in memory, whatever
    /// its size. Never throws for bad input, only for infrastructure failures.
    /// </summary>
    public async Task<FilingOutcome> FileAsync(string deviceId, ISealedUpload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        // The preamble says how long the header is: read no further, so an upload still arriving is not waited on.
        var preamble = new byte[(int)Math.Min(upload.Length, SeriesEnvelope.PreambleLength)];
        await upload.ReadAsync(0, preamble, cancellationToken);
        var prefix = new byte[SeriesEnvelope.PrefixLength(preamble, upload.Length)];
        await upload.ReadAsync(0, prefix, cancellationToken);
        if (!SeriesEnvelope.TryDecodeLayout(prefix, upload.Length, out var routing, out var layout, out var error))
        {
            return Reject(deviceId, null, error);
        }

        if (routing.DeviceId != deviceId)
        {
            return Reject(deviceId, routing.SeriesId, $"series names device {routing.DeviceId} but arrived on {deviceId}'s topic");
        }

        var sealedManifest = await ReadAsync(upload, layout.ManifestOffset, layout.ManifestLength, cancellationToken);
        var tags = new ReadOnlyMemory<byte>[layout.FrameCount];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = await ReadAsync(upload, layout.TagOffset(i), SeriesSealing.TagSize, cancellationToken);
        }

        // Signed by the device that captured it, before anything is opened.
        var keys = signingKeys.Ring(deviceId).Accepted(time.GetUtcNow()).Select(k => k.Bytes).ToList();
        if (keys.Count == 0)
        {
            return Reject(deviceId, routing.SeriesId, "no signing key is registered for this device (provision it again)");
        }

        if (!keys.Any(key => SeriesSigning.VerifyTags(key, routing, sealedManifest, tags)))
        {
            return Reject(deviceId, routing.SeriesId, "signature does not verify with this device's key");
        }

        using var unsealer = sealingKey.CreateUnsealer();
        var manifest = unsealer.TryOpenManifest(routing, sealedManifest, out error);
        if (manifest is null)
        {
            return Reject(deviceId, routing.SeriesId, error);
        }

        if (await ConfirmIfFiledAsync(deviceId, manifest.SeriesId, manifest.Frames.Select(f => f.Sha256), cancellationToken) is { } before)
        {
            return before;
        }

        var job = await jobs.FindByEpisodeAsync(manifest.EpisodeCode, cancellationToken);
        if (job is null || job.DeviceId != deviceId || job.JobId != manifest.JobId)
        {
            return Reject(deviceId, manifest.SeriesId, "no capture job for this episode on this device");
        }

        // What the series is for (consent) and of (body site) is what the host's own job says:
        // the appliance, or a broker that saw the job in clear, cannot widen either.
        if (manifest.ConsentScope != job.ConsentScope || manifest.BodySite != job.BodySite)
        {
            audit.Append(AuditKinds.SeriesManifestOverruled, deviceId, manifest.SeriesId,
                $"the manifest's consent scope or body site differs from job {job.JobId}'s; filed as the job says");
            LogManifestOverruled(logger, manifest.SeriesId, deviceId, job.JobId);
        }

        var received = new FiledSeries(
            manifest.SeriesId,
            deviceId,
            job.JobId,
            job.EpisodeCode,
            job.PatientId,
            job.BodySite,
            job.ConsentScope,
            manifest.CapturedAt,
            time.GetUtcNow(),
            manifest.FirmwareVersion,
            manifest.CalibrationId,
            manifest.RetakeCount,
            manifest.Quality,
            manifest.Camera,
            [.. manifest.Frames.Select(f => new FiledFrame(f.Index, f.Lighting, f.Width, f.Height, f.PixelFormat, f.Sha256, string.Empty, f.Role))],
            job.LesionLabel,
            job.Consent,
            job.IntimateSite,
            Mark: job.Mark,
            OverviewCamera: manifest.OverviewCamera,
            OverviewQuality: manifest.OverviewQuality,
            OverviewAim: manifest.OverviewAim);
        ArchiveFiling filing;
        try
        {
            filing = await archive.FileAsync(received, (index, ct) => OpenFrameAsync(upload, layout, unsealer, manifest, index, ct), cancellationToken);
        }
        catch (FrameRefusedException refused)
        {
            return Reject(deviceId, manifest.SeriesId, refused.Message);
        }
        catch (Pacs.PacsRefusedException refused)
        {
            // Images:Store=DicomWeb: the PACS, where the frames are kept, will not take them as they are.
            return Reject(deviceId, manifest.SeriesId, $"the PACS refused it: {refused.Message}");
        }

        if (filing.FiledBefore)
        {
            // Another instance filed it while this one did: that filing stands, and is confirmed (or refused) as any repeat is.
            return await ConfirmIfFiledAsync(deviceId, manifest.SeriesId, manifest.Frames.Select(f => f.Sha256), cancellationToken)
                ?? throw new InvalidOperationException($"series {manifest.SeriesId} was filed before and is gone");
        }

        var filed = filing.Series;

        LogFiled(logger, filed.SeriesId, deviceId, filed.EpisodeCode, filed.Frames.Count);
        audit.Append(AuditKinds.SeriesFiled, deviceId, filed.SeriesId, FiledDetails(filed));
        // Filed from here on, whether or not the receipt gets out: the series is in the archive and audited.
        Filed?.Invoke(this, filed);
        await SendReceiptAsync(filed, cancellationToken);
        return new FilingOutcome(filed, null);
    }

    /// <summary>
    /// If the series is filed already (a replayed offer, or one whose receipt was lost), files
    /// nothing twice: confirms it again with its receipt, or refuses it if the id was filed from
    /// another device or with other frames. Null when it is not filed. The one place that decides
    /// "already filed", for an offer and for an upload alike.
    /// </summary>
    /// <param name="frameDigests">The upload's frame digests when known (from its manifest); null for an offer, which carries none.</param>
    public async Task<FilingOutcome?> ConfirmIfFiledAsync(string deviceId, string seriesId, IEnumerable<string>? frameDigests, CancellationToken cancellationToken)
    {
        var existing = await archive.FindAsync(seriesId, cancellationToken);
        if (existing is null)
        {
            return null;
        }

        if (existing.DeviceId != deviceId)
        {
            return Reject(deviceId, seriesId, "a series with this id was filed from another device");
        }

        if (frameDigests is not null && !existing.Frames.Select(f => f.Sha256).SequenceEqual(frameDigests))
        {
            return Reject(deviceId, seriesId, "a different series with this id is already filed");
        }

        LogAlreadyFiled(logger, seriesId, deviceId);
        if (!audit.Records(AuditKinds.SeriesFiled, seriesId))
        {
            // The instance that filed it stopped between the archive's commit and the audit append:
            // audited now, before the receipt lets the appliance delete its copy.
            audit.Append(AuditKinds.SeriesFiled, deviceId, seriesId, $"{FiledDetails(existing)}; audited when confirmed, the filing instance having stopped first");
            LogAuditedLate(logger, seriesId, deviceId);
        }

        await SendReceiptAsync(existing, cancellationToken);
        return new FilingOutcome(existing, null);
    }

    private static string FiledDetails(FiledSeries filed) => $"episode {filed.EpisodeCode}, {filed.Frames.Count} frames, {filed.ArchiveReference}";

    private static async Task<byte[]> ReadAsync(ISealedUpload upload, long offset, int length, CancellationToken cancellationToken)
    {
        await upload.WaitForAsync(offset, length, cancellationToken);
        var bytes = new byte[length];
        await upload.ReadAsync(offset, bytes, cancellationToken);
        return bytes;
    }

    /// <summary>Reads, opens and checks one frame for the archive; a frame that does not open refuses the whole series.</summary>
    private static async Task<byte[]> OpenFrameAsync(ISealedUpload upload, EnvelopeLayout layout, SeriesUnsealer unsealer, SeriesManifest manifest, int index, CancellationToken cancellationToken)
    {
        var sealedFrame = await ReadAsync(upload, layout.FrameOffsets[index], layout.FrameLengths[index], cancellationToken);
        return unsealer.TryOpenFrame(manifest, index, sealedFrame, out var error) ?? throw new FrameRefusedException(error);
    }

    /// <summary>A frame that fails authentication or its digest, raised through the archive so that it stores nothing.</summary>
    private sealed class FrameRefusedException(string reason) : Exception(reason);

    /// <summary>
    /// Hands the series over (<see cref="IFiledSeriesHandOver"/>), then signs and sends the
    /// receipt for it (again, when a device offers one already filed). False when either could
    /// not be done: the appliance keeps its copy until a receipt comes and offers the series again
    /// later, which hands it over and sends the receipt again.
    /// </summary>
    public async Task<bool> SendReceiptAsync(FiledSeries filed, CancellationToken cancellationToken)
    {
        var receipt = new FiledReceipt(filed.SeriesId, filed.DeviceId, filed.FiledAt, [.. filed.Frames.Select(f => f.Sha256)], filed.ArchiveReference);
        // Signed: the appliance deletes its only copy on the strength of this message.
        receipt = receipt with { Signature = hostSigningKey.Sign(receipt.SignedBytes()) };
        try
        {
            foreach (var handOver in handOvers)
            {
                await handOver.HandOverAsync(filed, cancellationToken);
            }

            await publisher.PublishAsync(ApplianceTopics.Receipt(filed.DeviceId), ProtocolJson.Serialize(receipt), cancellationToken);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the transport or a hand-over threw (a broker restarting, the database away),
            // nothing is lost: the filing stands and the receipt goes again with the next offer.
            LogReceiptNotSent(logger, filed.SeriesId, filed.DeviceId, ex.GetType().Name, ex.Message);
            return false;
        }
    }

    /// <summary>Logs, audits and reports a refused upload (also for refusals before filing, such as a bad transfer offer).</summary>
    public FilingOutcome Reject(string deviceId, string? seriesId, string reason)
    {
        LogRejected(logger, deviceId, seriesId ?? "-", reason);
        audit.Append(AuditKinds.SeriesRejected, deviceId, seriesId ?? "-", reason);
        Rejected?.Invoke(this, new FilingRejection(deviceId, seriesId, reason));
        return new FilingOutcome(null, reason);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Filed series {SeriesId} from {DeviceId}, episode {EpisodeCode}, {FrameCount} frames")]
    private static partial void LogFiled(ILogger logger, string seriesId, string deviceId, string episodeCode, int frameCount);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Rejected series {SeriesId} from {DeviceId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string deviceId, string seriesId, string reason);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Series {SeriesId} from {DeviceId} was filed but not audited (its instance stopped first); audited on its confirmation")]
    private static partial void LogAuditedLate(ILogger logger, string seriesId, string deviceId);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Series {SeriesId} from {DeviceId}: its manifest's consent scope or body site differs from job {JobId}'s; filed as the job says")]
    private static partial void LogManifestOverruled(ILogger logger, string seriesId, string deviceId, string jobId);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Series {SeriesId} from {DeviceId}: its receipt was not sent ({ErrorType}: {Error}); it goes again when the appliance next offers the series")]
    private static partial void LogReceiptNotSent(ILogger logger, string seriesId, string deviceId, string errorType, string error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Series {SeriesId} from {DeviceId} was already filed; receipt sent again")]
    private static partial void LogAlreadyFiled(ILogger logger, string seriesId, string deviceId);
}
