using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Each device's Ed25519 public key in <c>devices/{id}.signing.pub</c>, written when it is
/// provisioned; the keys it replaced are appended to <c>devices/{id}.signing.previous</c>.
/// </summary>
public sealed class FileDeviceSigningKeys(IOptions<HostDataOptions> options) : IDeviceSigningKeys
{
    private const int KeyLength = 32;
    private readonly Lock _lock = new();

    public void Register(string deviceId, byte[] publicKey)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            if (Find(deviceId) is { } replaced && !replaced.AsSpan().SequenceEqual(publicKey))
            {
                var previous = PathOf(deviceId, "previous");
                var older = File.Exists(previous) ? File.ReadAllBytes(previous) : [];
                SecureFiles.WriteAllBytes(previous, [.. older, .. replaced]);
            }

            SecureFiles.WriteAllBytes(PathOf(deviceId, "pub"), publicKey);
        }
    }

    public byte[]? Find(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return null;
        }

        var path = PathOf(deviceId, "pub");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public IReadOnlyList<byte[]> History(string deviceId)
    {
        if (Find(deviceId) is not { } current)
        {
            return [];
        }

        var previous = PathOf(deviceId, "previous");
        var older = File.Exists(previous) ? File.ReadAllBytes(previous).Chunk(KeyLength).Where(k => k.Length == KeyLength).Reverse() : [];
        return [current, .. older];
    }

    private string PathOf(string deviceId, string suffix) => options.Value.Resolve("devices", $"{deviceId}.signing.{suffix}");
}
