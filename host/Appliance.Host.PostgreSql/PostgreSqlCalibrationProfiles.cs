using Appliance.Host.Core;
using Appliance.Protocol;
using Npgsql;

namespace Appliance.Host.PostgreSql;

/// <summary>
/// Every calibration profile an appliance sent, in <c>calibration_profiles</c>, kept as the
/// appliance signed it (so its signature can be checked again at any time) and never changed:
/// the first instance to receive a profile keeps it, and the id is never lent to another device.
/// </summary>
public sealed class PostgreSqlCalibrationProfiles(NpgsqlDataSource database) : ICalibrationProfiles
{
    public async Task<ProfileAdded> AddProfileAsync(CalibrationProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        await using var insert = Sql.Command(database, """
            INSERT INTO calibration_profiles (profile_id, device_id, created_at, profile) VALUES ($1, $2, $3, $4)
            ON CONFLICT (profile_id) DO NOTHING
            """, profile.ProfileId, profile.DeviceId, Sql.Time(profile.CreatedAt), System.Text.Encoding.UTF8.GetString(ProtocolJson.Serialize(profile)));
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return ProfileAdded.Added;
        }

        await using var kept = Sql.Command(database, "SELECT device_id FROM calibration_profiles WHERE profile_id = $1", profile.ProfileId);
        return (string?)await kept.ExecuteScalarAsync(cancellationToken) == profile.DeviceId ? ProfileAdded.AlreadyKept : ProfileAdded.IdTakenByAnotherDevice;
    }

    public async Task<CalibrationProfile?> FindProfileAsync(string deviceId, string profileId, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "SELECT profile_id, profile FROM calibration_profiles WHERE profile_id = $1", profileId);
        // The stored profile is checked, not just the index column: it is what the appliance signed.
        return (await Sql.RowsAsync(command, ToProfile, cancellationToken)).SingleOrDefault() is { } profile && profile.DeviceId == deviceId ? profile : null;
    }

    public async Task<IReadOnlyList<CalibrationProfile>> ListProfilesAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(database, "SELECT profile_id, profile FROM calibration_profiles WHERE device_id = $1", deviceId);
        return [.. (await Sql.RowsAsync(command, ToProfile, cancellationToken)).Where(p => p.DeviceId == deviceId).OrderByDescending(p => p.CreatedAt)];
    }

    private static CalibrationProfile ToProfile(NpgsqlDataReader row) =>
        ProtocolJson.TryDeserialize<CalibrationProfile>(System.Text.Encoding.UTF8.GetBytes(row.GetString(1)), out var profile, out var error)
            ? profile
            : throw new InvalidDataException($"calibration profile {row.GetString(0)} is unreadable: {error}");
}
