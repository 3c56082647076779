using Appliance.Host.Core.Provisioning;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Issued certificates in <c>devices/{id}.issued</c> (thumbprint and serial number, one a line) and the revocation
/// list in <c>devices/revoked</c> (thumbprint, device, time, reason). The broker reads the
/// list at every connection, so a revocation made by the command line while the host runs
/// takes effect at the device's next connection.
/// </summary>
public sealed class FileDeviceCertificates(IOptions<HostDataOptions> options, TimeProvider time) : IDeviceCertificates
{
    private readonly Lock _lock = new();

    private string RevokedPath => options.Value.Resolve("devices", "revoked");

    public void RecordIssued(string deviceId, string thumbprint, string serialNumber)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            AppendLine(IssuedPath(deviceId), $"{thumbprint} {serialNumber}");
        }
    }

    public IReadOnlyList<string> KnownDevices()
    {
        var folder = options.Value.Resolve("devices");
        return !Directory.Exists(folder)
            ? []
            : [.. Directory.EnumerateFiles(folder, "*.issued").Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(DeviceId.IsValid).Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> ActiveDevices()
    {
        lock (_lock)
        {
            var revoked = RevokedThumbprints();
            var folder = options.Value.Resolve("devices");
            return !Directory.Exists(folder)
                ? []
                : [.. Directory.EnumerateFiles(folder, "*.issued")
                    .Where(path => Issued(path).Any(i => !revoked.Contains(i.Thumbprint)))
                    .Select(path => Path.GetFileNameWithoutExtension(path))
                    .Where(DeviceId.IsValid)
                    .Order(StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<(string SerialNumber, DateTimeOffset RevokedAt)> RevokedSerials()
    {
        lock (_lock)
        {
            if (!File.Exists(RevokedPath))
            {
                return [];
            }

            var result = new List<(string, DateTimeOffset)>();
            foreach (var line in File.ReadLines(RevokedPath))
            {
                var fields = line.Split(' ', 4);
                if (fields.Length < 3 || !DeviceId.IsValid(fields[1]) || !DateTimeOffset.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var at))
                {
                    continue;
                }

                // Certificates issued before serials were recorded have none to list; the embedded broker still refuses them by thumbprint.
                var serial = Issued(IssuedPath(fields[1])).FirstOrDefault(i => string.Equals(i.Thumbprint, fields[0], StringComparison.OrdinalIgnoreCase)).Serial;
                if (!string.IsNullOrEmpty(serial))
                {
                    result.Add((serial, at));
                }
            }

            return result;
        }
    }

    /// <summary>An issued file's lines: thumbprint, then the serial number where one was recorded.</summary>
    private static IEnumerable<(string Thumbprint, string? Serial)> Issued(string path) =>
        File.Exists(path)
            ? File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(f => (f[0], f.Length > 1 ? f[1] : null))
            : [];

    public int Revoke(string deviceId, string reason)
    {
        DeviceId.EnsureValid(deviceId);
        lock (_lock)
        {
            var already = RevokedThumbprints();
            var fresh = Issued(IssuedPath(deviceId)).Select(i => i.Thumbprint).Where(t => !already.Contains(t)).ToList();
            foreach (var thumbprint in fresh)
            {
                // One line each; the reason is the last field and may hold spaces.
                AppendLine(RevokedPath, $"{thumbprint} {deviceId} {time.GetUtcNow():O} {reason.ReplaceLineEndings(" ")}");
            }

            return fresh.Count;
        }
    }

    public int SupersedeOlder(string deviceId, string thumbprint)
    {
        if (!DeviceId.IsValid(deviceId))
        {
            return 0;
        }

        lock (_lock)
        {
            var issued = Issued(IssuedPath(deviceId)).Select(i => i.Thumbprint).ToList();
            if (issued.Count < 2 || !string.Equals(issued[^1], thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                return 0;
            }

            var already = RevokedThumbprints();
            var older = issued[..^1].Where(t => !already.Contains(t)).ToList();
            foreach (var old in older)
            {
                AppendLine(RevokedPath, $"{old} {deviceId} {time.GetUtcNow():O} superseded by {thumbprint}");
            }

            return older.Count;
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
