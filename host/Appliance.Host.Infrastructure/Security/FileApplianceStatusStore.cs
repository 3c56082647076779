using System.Text.Json;
using Appliance.Host.Core.Fleet;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Each appliance's last status in <c>devices/{id}.status.json</c>, replaced whole on every
/// report. Not flushed to disk: it is on the path of every status message, and the next
/// report rewrites it anyway.
/// </summary>
public sealed class FileApplianceStatusStore(IOptions<HostDataOptions> options) : IApplianceStatusStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Save(ReceivedStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        DeviceId.EnsureValid(status.Status.DeviceId);
        SecureFiles.WriteAllBytes(options.Value.Resolve("devices", status.Status.DeviceId + ".status.json"), JsonSerializer.SerializeToUtf8Bytes(status, Json), durable: false);
    }

    public IReadOnlyList<ReceivedStatus> LoadAll()
    {
        var folder = options.Value.Resolve("devices");
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var result = new List<ReceivedStatus>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.status.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<ReceivedStatus>(File.ReadAllBytes(path), Json) is { } saved && DeviceId.IsValid(saved.Status.DeviceId))
                {
                    result.Add(saved);
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // One unreadable file costs that appliance's last-seen time, not the host's start.
            }
        }

        return result;
    }
}
