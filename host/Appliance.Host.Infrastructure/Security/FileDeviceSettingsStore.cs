using System.Text.Json;
using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>Each appliance's provisioned settings in <c>devices/{id}.settings.json</c>.</summary>
public sealed class FileDeviceSettingsStore(IOptions<HostDataOptions> options) : IDeviceSettingsStore
{
    public void Save(string deviceId, IReadOnlyDictionary<string, string> settings)
    {
        DeviceId.EnsureValid(deviceId);
        SecureFiles.WriteAllBytes(PathOf(deviceId), JsonSerializer.SerializeToUtf8Bytes(settings));
    }

    public IReadOnlyDictionary<string, string>? Find(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId) || !File.Exists(PathOf(deviceId)))
        {
            return null;
        }

        var settings = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(PathOf(deviceId)));
        return settings is { Count: > 0 } ? settings : null;
    }

    private string PathOf(string deviceId) => options.Value.Resolve("devices", deviceId + ".settings.json");
}
