using Appliance.Host.Core;
using Appliance.Protocol;
using LiteDB;

namespace Appliance.Host.Infrastructure.Archive;

/// <summary>
/// Every calibration profile an appliance sent, in the <see cref="ArchiveDatabase"/>, kept as the
/// appliance signed it (so its signature can be checked again at any time) and never changed.
/// </summary>
public sealed class LiteDbCalibrationProfiles : ICalibrationProfiles
{
    private readonly ILiteCollection<BsonDocument> _profiles;

    public LiteDbCalibrationProfiles(ArchiveDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _profiles = database.Collection("calibrationProfiles");
        _profiles.EnsureIndex("deviceId");
    }

    public Task<ProfileAdded> AddProfileAsync(CalibrationProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        cancellationToken.ThrowIfCancellationRequested();
        if (_profiles.FindById(profile.ProfileId) is { } kept)
        {
            return Task.FromResult(kept["deviceId"].AsString == profile.DeviceId ? ProfileAdded.AlreadyKept : ProfileAdded.IdTakenByAnotherDevice);
        }

        // Kept as the appliance signed it, so its signature can be checked again at any time.
        _profiles.Insert(new BsonDocument
        {
            ["_id"] = profile.ProfileId,
            ["deviceId"] = profile.DeviceId,
            ["createdAt"] = profile.CreatedAt.UtcDateTime,
            ["profile"] = System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(profile)),
        });
        return Task.FromResult(ProfileAdded.Added);
    }

    public Task<CalibrationProfile?> FindProfileAsync(string deviceId, string profileId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var doc = _profiles.FindById(profileId);
        // The stored profile is checked, not just the index field: it is what the appliance signed.
        return Task.FromResult(doc is not null && ToProfile(doc) is { } profile && profile.DeviceId == deviceId ? profile : null);
    }

    public Task<IReadOnlyList<CalibrationProfile>> ListProfilesAsync(string deviceId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyList<CalibrationProfile> profiles = [.. _profiles.Find(Query.EQ("deviceId", deviceId)).Select(ToProfile).OrderByDescending(p => p.CreatedAt)];
        return Task.FromResult(profiles);
    }

    private static CalibrationProfile ToProfile(BsonDocument doc) =>
        ProtocolJson.TryDeserialize<CalibrationProfile>(System.Text.Encoding.UTF8.GetBytes(doc["profile"].AsString), out var profile, out var error)
            ? profile
            : throw new InvalidDataException($"calibration profile {doc["_id"]} is unreadable: {error}");
}
