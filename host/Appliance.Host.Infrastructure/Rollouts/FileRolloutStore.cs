using System.Text.Json;
using Appliance.Host.Core.Rollouts;
using Appliance.Host.Infrastructure.Security;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Rollouts;

/// <summary>
/// <c>rollouts/{id}.json</c>, each rollout's plan and control (written by the command line and by
/// the host when it halts or completes one), and <c>rollouts/{id}/{deviceId}.json</c>, each
/// appliance's progress (written by the host alone), every file replaced whole through a rename.
/// </summary>
public sealed class FileRolloutStore(IOptions<HostDataOptions> options) : IRolloutStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string Folder => options.Value.Resolve("rollouts");

    public IReadOnlyList<Rollout> List() =>
        Directory.Exists(Folder)
            ? [.. Directory.EnumerateFiles(Folder, "*.json").Select(Read<Rollout>).OfType<Rollout>()]
            : [];

    public Rollout? Find(string rolloutId) => IsName(rolloutId) ? Read<Rollout>(Path.Combine(Folder, rolloutId + ".json")) : null;

    public void Save(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        EnsureName(rollout.RolloutId);
        Directory.CreateDirectory(Folder);
        SecureFiles.WriteAllBytes(Path.Combine(Folder, rollout.RolloutId + ".json"), JsonSerializer.SerializeToUtf8Bytes(rollout, Json));
    }

    public IReadOnlyList<DeviceUpdate> Progress(string rolloutId)
    {
        var folder = Path.Combine(Folder, rolloutId);
        return IsName(rolloutId) && Directory.Exists(folder)
            ? [.. Directory.EnumerateFiles(folder, "*.json").Select(Read<DeviceUpdate>).OfType<DeviceUpdate>().OrderBy(p => p.DeviceId, StringComparer.Ordinal)]
            : [];
    }

    public DeviceUpdate? FindProgress(string rolloutId, string deviceId) =>
        IsName(rolloutId) && DeviceId.IsValid(deviceId) ? Read<DeviceUpdate>(Path.Combine(Folder, rolloutId, deviceId + ".json")) : null;

    public void SaveProgress(DeviceUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        EnsureName(update.RolloutId);
        DeviceId.EnsureValid(update.DeviceId);
        var folder = Path.Combine(Folder, update.RolloutId);
        Directory.CreateDirectory(folder);
        // Not flushed one by one: the appliance reports again, and the host re-sends orders, after a power cut.
        SecureFiles.WriteAllBytes(Path.Combine(folder, update.DeviceId + ".json"), JsonSerializer.SerializeToUtf8Bytes(update, Json), durable: false);
    }

    private static T? Read<T>(string path)
        where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json) : null;

    private static bool IsName(string? id) => CaptureJob.IsValidJobId(id);

    private static void EnsureName(string id)
    {
        if (!IsName(id))
        {
            throw new ArgumentException("a rollout id is 1–64 letters, digits or hyphens", nameof(id));
        }
    }
}

/// <summary><c>devices/groups.json</c>: each appliance's group, changed under <c>devices/groups.json.lock</c>.</summary>
public sealed class FileDeviceGroups(IOptions<HostDataOptions> options) : IDeviceGroups
{
    private readonly Lock _lock = new();

    private string PathOf => options.Value.Resolve("devices", "groups.json");

    public IReadOnlyDictionary<string, string> All() =>
        File.Exists(PathOf) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(PathOf)) ?? [] : new Dictionary<string, string>();

    public void Set(string deviceId, string? group)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            // Admins may group appliances from two shells, or two instances, at once: one change at a time.
            Directory.CreateDirectory(Path.GetDirectoryName(PathOf)!);
            using var instances = InstanceLock.Acquire(PathOf + ".lock");
            var groups = new Dictionary<string, string>(All(), StringComparer.Ordinal);
            if (group is null)
            {
                groups.Remove(deviceId);
            }
            else
            {
                groups[deviceId] = group;
            }

            SecureFiles.WriteAllBytes(PathOf, JsonSerializer.SerializeToUtf8Bytes(groups));
        }
    }
}
