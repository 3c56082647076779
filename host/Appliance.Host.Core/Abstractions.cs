using Appliance.Protocol;

namespace Appliance.Host.Core;

/// <summary>One filed frame: where its encrypted file is and what it must hash to.</summary>
/// <summary>One filed frame; <paramref name="Role"/> null for the dermoscopic pair, as in the manifest.</summary>
public sealed record FiledFrame(int Index, LightingMode Lighting, int Width, int Height, string PixelFormat, string Sha256, string StoredAs, FrameRole? Role = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsOverview => Role == FrameRole.Overview;
}

/// <summary>A series as the archive holds it, with the patient link restored from the job.</summary>
public sealed record FiledSeries(
    string SeriesId,
    string DeviceId,
    string JobId,
    string EpisodeCode,
    string PatientId,
    string BodySite,
    ConsentScope ConsentScope,
    DateTimeOffset CapturedAt,
    DateTimeOffset FiledAt,
    string FirmwareVersion,
    string CalibrationId,
    int RetakeCount,
    QualityReport Quality,
    CameraSettings Camera,
    IReadOnlyList<FiledFrame> Frames,
    string? LesionLabel = null,
    Jobs.ConsentRecord? Consent = null,
    bool IntimateSite = false,
    Jobs.ConsentWithdrawal? ConsentWithdrawn = null,
    Jobs.BodyMapMark? Mark = null,
    Imaging.LesionOutline? Outline = null,
    CameraSettings? OverviewCamera = null,
    QualityReport? OverviewQuality = null,
    Filing.OverviewReview? OverviewReview = null,
    OverviewAim? OverviewAim = null)
{
    public string ArchiveReference => $"archive:{SeriesId}";

    /// <summary>The dermoscopic frames (the pair), without the overview.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<FiledFrame> DermoscopicFrames => Frames.Where(f => !f.IsOverview);

    /// <summary>The overview, if the series has one.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public FiledFrame? Overview => Frames.FirstOrDefault(f => f.IsOverview);

    /// <summary>The overview's risk (the guidance's Figure 3): as staff reviewed it, high until they have; null without an overview.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Filing.ImageRisk? OverviewRisk => Overview is null ? null : OverviewReview?.Risk ?? Filing.ImageRisk.High;

    /// <summary>The overview may go into teaching material only once staff confirmed it shows nothing that identifies the patient.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool OverviewFitForTeaching => OverviewReview is { ShowsIdentifyingFeature: false };

    /// <summary>The consent as people read it: scope, how it was given, and any withdrawal.</summary>
    public string ConsentText =>
        (Consent?.Describe() ?? Jobs.ConsentRecord.ScopeText(ConsentScope))
        + (ConsentWithdrawn is { } w ? $"; withdrawn {w.WithdrawnAt:yyyy-MM-dd}" : string.Empty);

    /// <summary>Whether the series may be used for teaching: consented to, and not withdrawn since.</summary>
    public bool TeachingAllowed => ConsentScope == ConsentScope.DirectCareAndTeaching && ConsentWithdrawn is null;
}

/// <summary>
/// A capture job as the host keeps it: the only place episode code and patient identifier meet.
/// The lesion label ("L2", "mole under left scapula") stays here too: it follows the patient,
/// not the appliance, and is never sent.
/// </summary>
public sealed record CaptureJobRecord(
    string JobId,
    string DeviceId,
    string EpisodeCode,
    string PatientId,
    string BodySite,
    ConsentScope ConsentScope,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string? LesionLabel = null,
    Jobs.ConsentRecord? Consent = null,
    DateOnly? DateOfBirth = null,
    bool IntimateSite = false,
    Jobs.BodyMapMark? Mark = null,
    bool Overview = false)
{
    /// <summary>The job as the appliance gets it: no patient, no lesion label; the overview asked for only when it is wanted.</summary>
    public CaptureJob ToWire() => new(JobId, EpisodeCode, BodySite, ConsentScope, IssuedAt, ExpiresAt, Overview ? true : null);
}

/// <summary>The host's archive: metadata and frames, encrypted at rest.</summary>
public interface ISeriesArchive
{
    Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the frames (encrypted), taking each from <paramref name="frames"/> in turn and
    /// clearing it once stored, then the record; the record is written last, so a crash leaves no
    /// half series, and if a frame cannot be had (it throws) the frames already written are removed.
    /// Returns the record as filed, with where each frame is stored. If the same series was filed
    /// meanwhile (an offer retried onto another host instance), that first filing stands, nothing
    /// of this one is kept, and it is returned with <see cref="ArchiveFiling.FiledBefore"/> set.
    /// </summary>
    Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken);

    /// <summary>
    /// Files the record alone: its frames are held by the PACS from the start (Images:Store =
    /// DicomWeb), so it reads as released (<see cref="FramesReleasedException"/>). The first
    /// filing of a series stands, as with <see cref="FileAsync"/>.
    /// </summary>
    Task<ArchiveFiling> FileRecordAsync(FiledSeries series, CancellationToken cancellationToken);

    Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken);

    /// <summary>The series a capture job produced, if it is filed.</summary>
    Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>A patient's series, newest capture first; only one lesion's when <paramref name="lesionLabel"/> is given (for comparison over time).</summary>
    Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken);

    /// <summary>Marks a filed series as withdrawn from consent; false if it is not filed. The first withdrawal stands.</summary>
    Task<bool> MarkConsentWithdrawnAsync(string seriesId, Jobs.ConsentWithdrawal withdrawal, CancellationToken cancellationToken);

    /// <summary>Keeps a hand-corrected lesion outline with a filed series (the latest stands; null goes back to the outline found); false if it is not filed.</summary>
    Task<bool> RecordOutlineAsync(string seriesId, Imaging.LesionOutline? outline, CancellationToken cancellationToken);

    /// <summary>Keeps staff's review of the series' overview with it (the latest stands); false if the series is not filed.</summary>
    Task<bool> RecordOverviewReviewAsync(string seriesId, Filing.OverviewReview review, CancellationToken cancellationToken);

    /// <summary>Decrypts one frame and checks its digest; <see cref="FramesReleasedException"/> when the frames are no longer held here.</summary>
    Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the series' frames from this archive and keeps its record, marked so (the PACS
    /// holds them now); false if it is not filed. Marked first and removed after, so a crash
    /// between leaves no record pointing at frames that are gone.
    /// </summary>
    Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken);

    /// <summary>Every series id held, without reading the records (so a verification can read each on its own).</summary>
    Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken);

    /// <summary>Where the archive lives on disk, for operators.</summary>
    string Location { get; }
}

/// <summary>The series' frames were released to the PACS: read them there.</summary>
public sealed class FramesReleasedException : Exception
{
    public FramesReleasedException()
    {
    }

    public FramesReleasedException(string message)
        : base(message)
    {
    }

    public FramesReleasedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What filing did: the series as the archive holds it, and whether another filing of it got there first.</summary>
public sealed record ArchiveFiling(FiledSeries Series, bool FiledBefore);

/// <summary>What became of a profile offered to the archive.</summary>
public enum ProfileAdded
{
    Added,

    /// <summary>This device's profile with this id is already kept (profiles never change).</summary>
    AlreadyKept,

    /// <summary>Another device's profile already has this id: refused, never mixed up.</summary>
    IdTakenByAnotherDevice,
}

/// <summary>Every calibration profile an appliance sent, kept for as long as a series may name it.</summary>
public interface ICalibrationProfiles
{
    Task<ProfileAdded> AddProfileAsync(CalibrationProfile profile, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="deviceId"/>'s profile <paramref name="profileId"/>; null if there is none,
    /// or if the id belongs to another device (a series is only ever corrected by its own appliance's calibration).
    /// </summary>
    Task<CalibrationProfile?> FindProfileAsync(string deviceId, string profileId, CancellationToken cancellationToken);

    /// <summary>A device's profiles, newest first.</summary>
    Task<IReadOnlyList<CalibrationProfile>> ListProfilesAsync(string deviceId, CancellationToken cancellationToken);
}

public interface ICaptureJobRepository
{
    Task AddAsync(CaptureJobRecord job, CancellationToken cancellationToken);

    Task<CaptureJobRecord?> FindByEpisodeAsync(string episodeCode, CancellationToken cancellationToken);

    Task<CaptureJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Jobs, newest first.</summary>
    Task<IReadOnlyList<CaptureJobRecord>> ListRecentJobsAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// Adds to a job's timeline (sent, armed, retake, filed...) in one read and one write: not if
    /// there is no such job, if <paramref name="deviceId"/> is given and the job is another
    /// device's, or if an event of the same state reported at the same time is already there
    /// (a status delivered twice).
    /// </summary>
    Task<Jobs.JobEventOutcome> AppendJobEventAsync(string jobId, Jobs.JobEvent jobEvent, CancellationToken cancellationToken, string? deviceId = null);

    /// <summary>The jobs issued at or after <paramref name="since"/>, oldest first.</summary>
    Task<IReadOnlyList<CaptureJobRecord>> ListJobsIssuedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The jobs whose timeline holds an event in <paramref name="state"/>, of one device or of all, oldest issued first.</summary>
    Task<IReadOnlyList<CaptureJobRecord>> ListJobsWithEventAsync(string state, string? deviceId, CancellationToken cancellationToken);

    /// <summary>A job's timeline, oldest first.</summary>
    Task<IReadOnlyList<Jobs.JobEvent>> ListJobEventsAsync(string jobId, CancellationToken cancellationToken);
}

/// <summary>Publishes to devices (commands, receipts) through whatever broker the host uses.</summary>
public interface IDeviceMessagePublisher
{
    Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Publishes a retained message (the broker keeps it for the next subscriber); an empty payload clears it.</summary>
    Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken);
}

/// <summary>
/// The Ed25519 public keys each provisioned device signs its series, profiles and wipe reports
/// with, over their life (<see cref="Provisioning.DeviceSigningKeyRing"/>).
/// </summary>
public interface IDeviceSigningKeys
{
    Provisioning.DeviceSigningKeyRing Ring(string deviceId);

    /// <summary>Changes a device's ring in one step (read, change, write, under a lock); <paramref name="change"/> returns null for no change.</summary>
    Provisioning.DeviceSigningKeyRing Update(string deviceId, Func<Provisioning.DeviceSigningKeyRing, Provisioning.DeviceSigningKeyRing?> change);
}

/// <summary>The host's Ed25519 key: it signs receipts (and, with the fleet work, commands); appliances hold the public half.</summary>
public interface IHostSigningKey
{
    byte[] PublicKey { get; }

    string Sign(ReadOnlySpan<byte> statement);
}

/// <summary>The host's own key for opening sealed series; never leaves the host.</summary>
public interface IHostSealingKey
{
    byte[] PublicKey { get; }

    SeriesUnsealer CreateUnsealer();
}
