using Appliance.Firmware.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Firmware.Storage;

/// <summary>
/// The current calibration profile in <c>calibration-profile.json</c> in the data folder,
/// replaced whole through a flushed rename. On load it must carry this appliance's own
/// signature: a profile copied from another appliance, or edited, is not used.
/// </summary>
public sealed partial class FileCalibrationStore : ICalibrationStore
{
    public const string FileName = "calibration-profile.json";

    private readonly string _path;
    private readonly ApplianceIdentity _identity;
    private readonly Lock _lock = new();
    private CalibrationProfile? _current;

    public FileCalibrationStore(string dataFolder, ApplianceIdentity identity, ILogger<FileCalibrationStore>? logger = null)
    {
        _path = Path.Combine(dataFolder, FileName);
        _identity = identity;
        _current = Load();
        if (LoadProblem is not null)
        {
            // Treated as uncalibrated (jobs are refused until a new run), but staff and the admin should know why.
            LogProfileRefused(logger ?? NullLogger<FileCalibrationStore>.Instance, _path, LoadProblem);
        }
    }

    /// <summary>Why the profile on disk was not used, when one was there.</summary>
    public string? LoadProblem { get; private set; }

    public CalibrationProfile? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public void Save(CalibrationProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var problem = Check(profile);
        if (problem is not null)
        {
            throw new InvalidOperationException($"not saving calibration profile {profile.ProfileId}: {problem}");
        }

        lock (_lock)
        {
            var temporary = _path + ".tmp";
            using (var file = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                file.Write(ProtocolJson.Serialize(profile));
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, _path, overwrite: true);
            _current = profile;
        }
    }

    private CalibrationProfile? Load()
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        if (!ProtocolJson.TryDeserialize<CalibrationProfile>(File.ReadAllBytes(_path), out var profile, out var error))
        {
            LoadProblem = $"unreadable: {error}";
            return null;
        }

        LoadProblem = Check(profile);
        return LoadProblem is null ? profile : null;
    }

    private string? Check(CalibrationProfile profile) =>
        profile.DeviceId != _identity.DeviceId ? $"made by {profile.DeviceId}, not this appliance"
        : profile.Validate() is { } invalid ? invalid
        : !SeriesSigning.VerifyBytes(_identity.SigningPublicKey, profile.SignedBytes(), profile.Signature) ? "not signed by this appliance"
        : null;

    [LoggerMessage(EventId = 6501, Level = LogLevel.Error, Message = "Calibration profile at {Path} not used: {Problem}")]
    private static partial void LogProfileRefused(ILogger logger, string path, string problem);
}
