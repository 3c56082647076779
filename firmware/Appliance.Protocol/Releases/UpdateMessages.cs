using System.Text.Json.Serialization;

namespace Appliance.Protocol.Releases;

/// <summary>
/// Host → device, inside a signed <see cref="HostCommand"/> of kind <c>update</c>: install this
/// release package. It names the package by size and SHA-256 and lists one SHA-256 per chunk, so
/// each chunk the appliance fetches is checked against what the host signed before it is kept;
/// the package's own release signature is checked again, in full, before anything is installed.
/// <c>KeyRotations</c> are the release key rotations the host holds, in order: signed by the
/// release keys, not the host's, so the appliance applies only those its own trusted keys sign.
/// </summary>
public sealed record UpdateOrder(
    string OrderId,
    string RolloutId,
    string Version,
    long PackageSize,
    string PackageSha256,
    int ChunkSize,
    string[] ChunkSha256,
    SignedKeyRotation[]? KeyRotations = null)
{
    /// <summary>Most key rotations an order carries.</summary>
    public const int MaxKeyRotations = 64;

    public const int MinChunkSize = 4 * 1024;
    public const int MaxChunkSize = 1024 * 1024;
    public const long MaxPackageSize = 1024L * 1024 * 1024;

    /// <summary>Most chunks a device may ask for in one <see cref="PackageRequest"/>.</summary>
    public const int MaxChunksPerRequest = 32;

    [JsonIgnore]
    public int ChunkCount => ChunkSha256.Length;

    /// <summary>The id the chunk frames carry (the order id as a GUID).</summary>
    [JsonIgnore]
    public Guid TransferId => Guid.ParseExact(OrderId, "N");

    public long OffsetOf(int index) => (long)index * ChunkSize;

    public int LengthOf(int index) => (int)Math.Min(ChunkSize, PackageSize - OffsetOf(index));

    /// <summary>Why the order cannot be acted on, or null.</summary>
    public string? Validate() =>
        !Guid.TryParseExact(OrderId, "N", out _) ? "orderId is not a 32-digit GUID"
        : !CaptureJob.IsValidJobId(RolloutId) ? "rolloutId must be 1–64 letters, digits or hyphens"
        : !System.Version.TryParse(Version, out var parsed) || parsed.Build < 0 || parsed.Revision >= 0 ? "version is not major.minor.patch"
        : PackageSize is <= 0 or > MaxPackageSize ? "package size out of range"
        : !IsSha256(PackageSha256) ? "packageSha256 is not a lower-case SHA-256"
        : ChunkSize is < MinChunkSize or > MaxChunkSize ? $"chunk size outside {MinChunkSize}–{MaxChunkSize}"
        : ChunkSha256 is null || ChunkSha256.Length != (int)((PackageSize + ChunkSize - 1) / ChunkSize) ? "the chunk digests do not cover the package"
        : !ChunkSha256.All(IsSha256) ? "a chunk digest is not a lower-case SHA-256"
        : KeyRotations is { Length: > MaxKeyRotations } ? $"more than {MaxKeyRotations} key rotations"
        : null;

    private static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>Device → host on <c>…/fetch</c>: send chunks <c>start</c> to <c>start + count − 1</c> of the order's package.</summary>
public sealed record PackageRequest(string OrderId, int Start, int Count)
{
    public string? Validate(int chunkCount) =>
        !Guid.TryParseExact(OrderId, "N", out _) ? "orderId is not a 32-digit GUID"
        : Count is < 1 or > UpdateOrder.MaxChunksPerRequest ? $"count outside 1–{UpdateOrder.MaxChunksPerRequest}"
        : Start < 0 || Start > chunkCount - Count ? "chunk range outside the package"
        : null;
}

/// <summary>Where an update stands on the appliance.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UpdateState>))]
public enum UpdateState
{
    /// <summary>The order was accepted; chunks are being fetched (<c>chunksHeld</c> of <c>chunkCount</c>).</summary>
    Downloading,

    /// <summary>A job is armed or a capture is running: the package is held, and installs when it ends.</summary>
    Waiting,

    /// <summary>The order or the package was refused (<c>reason</c>); nothing was installed.</summary>
    Refused,

    /// <summary>Installed beside the running release and switched to; the appliance restarts into it.</summary>
    Installed,

    /// <summary>The new release started, passed its checks and connected within the health window: confirmed.</summary>
    Healthy,

    /// <summary>The new release did not prove healthy in time (<c>reason</c>); the previous one runs again.</summary>
    RolledBack,
}

/// <summary>
/// Device → host on <c>…/update</c>: one step of an update. <c>runningVersion</c> is the release
/// running as it reports; <c>version</c> the one the order (or the rollback) is about.
/// </summary>
public sealed record UpdateReport(
    string DeviceId,
    string OrderId,
    string RolloutId,
    string Version,
    UpdateState State,
    string RunningVersion,
    DateTimeOffset At,
    string? Reason = null,
    int? ChunksHeld = null,
    int? ChunkCount = null)
{
    public string? Validate() =>
        !Protocol.DeviceId.IsValid(DeviceId) ? "deviceId is not a device id"
        : !Guid.TryParseExact(OrderId, "N", out _) ? "orderId is not a 32-digit GUID"
        : !CaptureJob.IsValidJobId(RolloutId) ? "rolloutId must be 1–64 letters, digits or hyphens"
        : !System.Version.TryParse(Version, out _) || !System.Version.TryParse(RunningVersion, out _) ? "a version is not a version"
        : Reason is { Length: > 512 } ? "reason is longer than 512 characters"
        : ChunksHeld < 0 || ChunkCount < 0 || ChunksHeld > ChunkCount ? "chunk counts out of range"
        : null;
}
