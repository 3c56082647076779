using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>Each device's Ed25519 public key in <c>devices/{id}.signing.pub</c>, written when it is provisioned.</summary>
public sealed class FileDeviceSigningKeys(IOptions<HostDataOptions> options) : IDeviceSigningKeys
{
    public void Register(string deviceId, byte[] publicKey)
    {
        DeviceId.EnsureValid(deviceId);
        SecureFiles.WriteAllBytes(PathOf(deviceId), publicKey);
    }

    public byte[]? Find(string deviceId)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return null;
        }

        var path = PathOf(deviceId);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    private string PathOf(string deviceId) => options.Value.Resolve("devices", deviceId + ".signing.pub");
}
