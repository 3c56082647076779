using Appliance.Host.Core;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;

namespace Appliance.Host.PostgreSql;

/// <summary>Each device's signing keys and their states, changed in one step across instances.</summary>
public sealed class PostgreSqlDeviceSigningKeys(DeviceDocuments documents) : IDeviceSigningKeys
{
    private const string Kind = "signing-keys";

    public DeviceSigningKeyRing Ring(string deviceId) =>
        DeviceId.IsValid(deviceId) && documents.Find<List<DeviceSigningKey>>(Kind, deviceId) is { } keys ? new DeviceSigningKeyRing(keys) : DeviceSigningKeyRing.Empty;

    public DeviceSigningKeyRing Update(string deviceId, Func<DeviceSigningKeyRing, DeviceSigningKeyRing?> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        DeviceId.EnsureValid(deviceId);
        var keys = documents.Update<List<DeviceSigningKey>>(Kind, deviceId, [], current => change(new DeviceSigningKeyRing(current)) is { } changed ? [.. changed.Keys] : null);
        return new DeviceSigningKeyRing(keys);
    }
}

/// <summary>Each appliance's provisioned settings.</summary>
public sealed class PostgreSqlDeviceSettings(DeviceDocuments documents) : IDeviceSettingsStore
{
    private const string Kind = "settings";

    public void Save(string deviceId, IReadOnlyDictionary<string, string> settings)
    {
        DeviceId.EnsureValid(deviceId);
        documents.Save(Kind, deviceId, settings);
    }

    public IReadOnlyDictionary<string, string>? Find(string deviceId) =>
        DeviceId.IsValid(deviceId) && documents.Find<Dictionary<string, string>>(Kind, deviceId) is { Count: > 0 } settings ? settings : null;
}

/// <summary>Each appliance's last status, as whichever instance received it.</summary>
public sealed class PostgreSqlApplianceStatuses(DeviceDocuments documents) : IApplianceStatusStore
{
    private const string Kind = "status";

    public void Save(ReceivedStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        DeviceId.EnsureValid(status.Status.DeviceId);
        documents.Save(Kind, status.Status.DeviceId, status);
    }

    public IReadOnlyList<ReceivedStatus> LoadAll() => documents.All<ReceivedStatus>(Kind);
}
