using System.Globalization;
using System.Security.Cryptography;
using Appliance.Firmware.Storage.Wipe;
using Appliance.Protocol;

namespace Appliance.Firmware.Storage.Enrolment;

/// <summary>What an enrolment did.</summary>
public sealed record EnrolmentResult(string DeviceId, string EnrolmentId, bool KeptStore);

/// <summary>
/// Installs a provisioning bundle from its enrolment package and code: decrypts it, writes it
/// owner-only where the firmware reads it, records the package's id so it cannot be enrolled
/// here again, and destroys the package file. Enrolling a new bundle for the same appliance
/// (certificate rotation, re-provisioning) keeps the store secret already in use, so the series
/// still queued open and are sent with the new credentials. Nothing is written if the code is wrong.
/// </summary>
public static class BundleEnrolment
{
    /// <summary>One line per enrolled package id: kept through a wipe, so a copy of an old package cannot bring the old keys back.</summary>
    public const string LedgerName = "enrolments";

    public static EnrolmentResult Enrol(string dataFolder, string bundlePath, string packagePath, string code, string storeFileName, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(packagePath))
        {
            throw new EnrolmentException($"no enrolment package at {packagePath}");
        }

        if (!ProtocolJson.TryDeserialize<EnrolmentPackage>(File.ReadAllBytes(packagePath), out var package, out var error))
        {
            throw new EnrolmentException($"{packagePath} is not an enrolment package: {error}");
        }

        var ledgerPath = Path.Combine(dataFolder, LedgerName);
        var used = File.Exists(ledgerPath) ? File.ReadLines(ledgerPath).FirstOrDefault(l => l.StartsWith(package.EnrolmentId + " ", StringComparison.Ordinal)) : null;
        if (used is not null)
        {
            throw new EnrolmentException($"this package ({package.EnrolmentId}) was already enrolled on this appliance at {used.Split(' ')[1]}; ask the host for a new one");
        }

        var bundle = package.Open(code);
        var keptStore = false;
        if (File.Exists(bundlePath))
        {
            var current = ProvisioningBundleLoader.Load(bundlePath);
            if (current.DeviceId != bundle.DeviceId)
            {
                if (File.Exists(Path.Combine(dataFolder, storeFileName)))
                {
                    throw new EnrolmentException(
                        $"this appliance is {current.DeviceId} and still holds its series; the package is for {bundle.DeviceId}. Wipe it first (its unsent series are lost), or enrol a package for {current.DeviceId}.");
                }
            }
            else
            {
                // Same appliance, new credentials: the store it already has must still open.
                bundle = bundle with { StoreSecret = current.StoreSecret };
                keptStore = true;
            }
        }

        // Owner-only whatever umask the admin's shell has: enrolment runs before the service does.
        OwnerOnlyFiles.CreateFolder(dataFolder);
        // The bundle it replaces (a rotation) is overwritten where it lay: its keys must not stay in freed blocks.
        var written = ProtocolJson.Serialize(bundle);
        SecretFiles.Replace(bundlePath, written);
        CryptographicOperations.ZeroMemory(written);
        AppendOwnerOnly(ledgerPath, $"{package.EnrolmentId} {time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)} {bundle.DeviceId}\n");
        File.Delete(Path.Combine(dataFolder, CryptoEraser.MarkerName)); // back in service
        Destroy(packagePath);
        return new EnrolmentResult(bundle.DeviceId, package.EnrolmentId, keptStore);
    }

    private static void AppendOwnerOnly(string path, string line)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnlyFiles.FileMode,
        });
        file.Write(System.Text.Encoding.UTF8.GetBytes(line));
        file.Flush(flushToDisk: true);
    }

    /// <summary>The package is spent: overwritten and deleted (a read-only copy elsewhere is still refused by the ledger).</summary>
    private static void Destroy(string path)
    {
        try
        {
            SecretFiles.Destroy(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A package on read-only media cannot be destroyed; the ledger still refuses it here.
        }
    }
}
