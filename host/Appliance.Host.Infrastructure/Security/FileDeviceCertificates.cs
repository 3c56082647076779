using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Issued certificates in <c>devices/{id}.issued</c> (one thumbprint a line) and the revocation
/// list in <c>devices/revoked</c> (thumbprint, device, time, reason). The broker reads the
/// list at every connection, so a revocation made by the command line while the host runs
/// takes effect at the device's next connection.
/// </summary>
public sealed class FileDeviceCertificates(IOptions<HostDataOptions> options, TimeProvider time) : IDeviceCertificates
{
    private readonly Lock _lock = new();

    private string RevokedPath => options.Value.Resolve("devices", "revoked");

    public void RecordIssued(string deviceId, string thumbprint)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            AppendLine(IssuedPath(deviceId), thumbprint);
        }
    }

    public int Revoke(string deviceId, string reason)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            var issued = File.Exists(IssuedPath(deviceId)) ? File.ReadAllLines(IssuedPath(deviceId)) : [];
            var already = RevokedThumbprints();
            var fresh = issued.Where(t => t.Length > 0 && !already.Contains(t)).ToList();
            foreach (var thumbprint in fresh)
            {
                // One line each; the reason is the last field and may hold spaces.
                AppendLine(RevokedPath, $"{thumbprint} {deviceId} {time.GetUtcNow():O} {reason.ReplaceLineEndings(" ")}");
            }

            return fresh.Count;
        }
    }

    public bool IsRevoked(string thumbprint)
    {
        lock (_lock)
        {
            return RevokedThumbprints().Contains(thumbprint);
        }
    }

    private HashSet<string> RevokedThumbprints() =>
        File.Exists(RevokedPath)
            ? File.ReadLines(RevokedPath).Select(l => l.Split(' ', 2)[0]).Where(t => t.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : [];

    private string IssuedPath(string deviceId) => options.Value.Resolve("devices", deviceId + ".issued");

    private static void AppendLine(string path, string line)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
        file.Flush(flushToDisk: true);
    }
}
