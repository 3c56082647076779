using System.Formats.Tar;
using System.Security.Cryptography;
using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.Protocol.Releases;

namespace Appliance.Firmware.Updates;

/// <summary>How an install ended.</summary>
public enum ReleaseInstallOutcome
{
    /// <summary>Unpacked beside the running release and switched to; <c>previous</c> names the one it replaced.</summary>
    Installed,

    /// <summary>Already the current release: nothing changed.</summary>
    AlreadyCurrent,

    /// <summary>The package was refused before anything was written outside the staging folder.</summary>
    Refused,

    /// <summary>A job is armed or a capture is running: nothing changed, and the update waits.</summary>
    Busy,
}

public sealed record ReleaseInstallResult(ReleaseInstallOutcome Outcome, string Reason, ReleaseManifest? Manifest = null, ReleaseRefusal? Refusal = null);

/// <summary>
/// Installs a release package on the appliance: verified in full first (signature against the
/// bundle's release keys, architecture, model, security floor, payload digest); then its payload
/// copied to a staging folder while its digest is computed again (the file may have changed since
/// it was verified), unpacked there, flushed and renamed to <c>releases/{version}</c>; then
/// <c>previous</c> and <c>current</c> switched. The running release's folder is never touched.
/// Leftovers of an install a power cut interrupted are removed first.
/// </summary>
public sealed class ReleaseInstaller(ReleaseLayout layout, ReleaseTrust trust, ReleaseTarget target, Func<bool> busy)
{
    private const string StagingPrefix = ".staging-";

    /// <param name="beforeSwitch">
    /// Called with the verified manifest and the version it replaces once the release is unpacked,
    /// before <c>current</c> moves: where an update records its trial, so that a power cut from
    /// then on finds either the old release and a trial it ignores, or the new one on trial.
    /// </param>
    public ReleaseInstallResult Install(string packagePath, Action<ReleaseManifest, string?>? beforeSwitch = null)
    {
        if (busy())
        {
            return new ReleaseInstallResult(ReleaseInstallOutcome.Busy, "a job is armed or a capture is running: the update waits for it to end");
        }

        var check = ReleaseVerifier.Verify(packagePath, trust, target);
        if (!check.Accepted)
        {
            return new ReleaseInstallResult(ReleaseInstallOutcome.Refused, check.Reason, check.Manifest, check.Refusal);
        }

        var manifest = check.Manifest!;
        if (layout.CurrentVersion == manifest.Version)
        {
            return new ReleaseInstallResult(ReleaseInstallOutcome.AlreadyCurrent, $"{manifest.Version} is already the current release", manifest);
        }

        Directory.CreateDirectory(layout.Releases);
        RemoveLeftovers();
        var staging = Path.Combine(layout.Releases, $"{StagingPrefix}{manifest.Version}-{Guid.NewGuid():N}");
        try
        {
            if (Unpack(packagePath, manifest, staging) is { } tampered)
            {
                return new ReleaseInstallResult(ReleaseInstallOutcome.Refused, tampered, manifest, ReleaseRefusal.Tampered);
            }

            var folder = layout.FolderOf(manifest.Version);
            if (Directory.Exists(folder) && folder != ResolvedCurrent())
            {
                // A copy left by an earlier attempt, never run: replaced by the one just verified.
                Directory.Delete(folder, recursive: true);
            }

            Directory.Move(staging, folder);
            DurableFolder.Flush(layout.Releases);
            var replaced = layout.CurrentVersion;
            beforeSwitch?.Invoke(manifest, replaced);
            if (replaced is not null)
            {
                layout.Point(layout.Previous, layout.FolderOf(replaced));
            }

            layout.Point(layout.Current, folder);
            RemoveOtherReleases();
            return new ReleaseInstallResult(ReleaseInstallOutcome.Installed, $"{manifest.Version} installed{(replaced is null ? string.Empty : $" beside {replaced}")} and current", manifest);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// The payload into <paramref name="staging"/>, hashed again on the way: null when it is the
    /// one the verified manifest names, else why not (nothing then leaves the staging folder).
    /// </summary>
    private static string? Unpack(string packagePath, ReleaseManifest manifest, string staging)
    {
        Directory.CreateDirectory(staging);
        var payloadCopy = staging + ".tar";
        try
        {
            using (var package = File.OpenRead(packagePath))
            using (var reader = new TarReader(package))
            {
                TarEntry? entry;
                while ((entry = reader.GetNextEntry()) is not null && entry.Name != ReleasePackage.PayloadEntry)
                {
                }

                if (entry?.DataStream is null)
                {
                    return "the package changed after it was verified: it has no payload now";
                }

                using var copy = new FileStream(payloadCopy, FileMode.CreateNew, FileAccess.Write);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int read;
                while ((read = entry.DataStream.Read(buffer)) > 0)
                {
                    hash.AppendData(buffer.AsSpan(0, read));
                    copy.Write(buffer.AsSpan(0, read));
                }

                copy.Flush(flushToDisk: true);
                if (copy.Length != manifest.PayloadSize || Convert.ToHexStringLower(hash.GetHashAndReset()) != manifest.PayloadSha256)
                {
                    return "the package changed after it was verified: its payload is no longer the signed one";
                }
            }

            // .NET refuses entries that would land outside the folder ("../", absolute paths).
            TarFile.ExtractToDirectory(payloadCopy, staging, overwriteFiles: false);
            File.WriteAllBytes(Path.Combine(staging, ReleaseLayout.ManifestFileName), ProtocolJson.Serialize(manifest));
            FlushTree(staging);
            return null;
        }
        finally
        {
            File.Delete(payloadCopy);
        }
    }

    /// <summary>Only the current release and the one before it are kept: a card holds a few hundred MB of releases at most.</summary>
    private void RemoveOtherReleases()
    {
        var keep = new[] { layout.CurrentVersion, layout.PreviousVersion };
        foreach (var folder in Directory.EnumerateDirectories(layout.Releases))
        {
            var name = Path.GetFileName(folder);
            if (!name.StartsWith(StagingPrefix, StringComparison.Ordinal) && !keep.Contains(name))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private string? ResolvedCurrent() => layout.CurrentVersion is { } version ? layout.FolderOf(version) : null;

    /// <summary>Staging folders and half-made links of an install a power cut interrupted.</summary>
    private void RemoveLeftovers()
    {
        foreach (var staging in Directory.EnumerateFileSystemEntries(layout.Releases, StagingPrefix + "*"))
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            else
            {
                File.Delete(staging);
            }
        }

        File.Delete(layout.Current + ".next");
        File.Delete(layout.Previous + ".next");
    }

    private static void FlushTree(string folder)
    {
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories))
        {
            DurableFolder.Flush(sub);
        }

        DurableFolder.Flush(folder);
    }
}
