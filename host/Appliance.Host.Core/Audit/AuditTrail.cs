using System.Security.Cryptography;
using System.Text;

namespace Appliance.Host.Core.Audit;

/// <summary>
/// What happened, to what, by whom. Details hold no patient identifier: the episode code stands
/// for it. <see cref="Format"/> 2 hashes every field with its length before it (1, the first
/// trails' form, joined them with newlines, so text could move between fields unseen).
/// </summary>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, string Kind, string Actor, string Subject, string Details, string PreviousHash, string Hash, int Format = 1)
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The format new entries are written in.</summary>
    public const int CurrentFormat = 2;

    /// <summary>SHA-256 over the format, the previous hash and every field of this entry, each prefixed by its length.</summary>
    public static string HashOf(long sequence, DateTimeOffset at, string kind, string actor, string subject, string details, string previousHash, int format = CurrentFormat)
    {
        string[] fields = [sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), at.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), kind, actor, subject, details, previousHash];
        var text = format switch
        {
            1 => string.Join('\n', fields),
            2 => "audit-v2\n" + string.Concat(fields.Select(f => $"{Encoding.UTF8.GetByteCount(f)}:{f}\n")),
            _ => throw new InvalidDataException($"unknown audit entry format {format}"),
        };
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>The kinds of event the audit trail records.</summary>
public static class AuditKinds
{
    public const string DeviceProvisioned = "device-provisioned";
    public const string DeviceRevoked = "device-revoked";
    public const string SigningKeyConfirmed = "signing-key-confirmed";
    public const string JobCreated = "job-created";
    public const string JobRefused = "job-refused";
    public const string ConsentWithdrawn = "consent-withdrawn";
    public const string SeriesSentToPacs = "series-sent-to-pacs";
    public const string PacsRefused = "pacs-refused";
    public const string PacsRetried = "pacs-retried";
    public const string ThumbnailViewed = "thumbnail-viewed";
    public const string SeriesReceived = "series-received";
    public const string SeriesFiled = "series-filed";
    public const string SeriesRejected = "series-rejected";
    public const string SeriesManifestOverruled = "series-manifest-overruled";
    public const string WipeIssued = "wipe-issued";
    public const string WipeDelivered = "wipe-delivered";
    public const string DeviceWiped = "device-wiped";
    public const string SeriesLostInWipe = "series-lost-in-wipe";
    public const string RecallArranged = "recall-arranged";
    public const string FilingOverdue = "filing-overdue";
    public const string UserAdded = "user-added";
    public const string CalibrationReceived = "calibration-received";
    public const string CalibrationRequested = "calibration-requested";
    public const string CalibrationRefused = "calibration-refused";
    public const string WorklistViewed = "worklist-viewed";
    public const string SeriesViewed = "series-viewed";
    public const string LesionOutlineCorrected = "lesion-outline-corrected";
    public const string OverviewReviewed = "overview-reviewed";
    public const string FrameViewed = "frame-viewed";
    public const string SeriesExported = "series-exported";
    public const string SignedIn = "signed-in";
    public const string SignInFailed = "sign-in-failed";
    public const string SignedOut = "signed-out";
    public const string SessionsEnded = "sessions-ended";
    public const string RoleChanged = "role-changed";
    public const string UserDisabled = "user-disabled";
    public const string UserEnabled = "user-enabled";
    public const string UserRemoved = "user-removed";
    public const string PasswordReset = "password-reset";
    public const string PasswordChanged = "password-changed";
    public const string PasswordChangeFailed = "password-change-failed";
    public const string ReleaseKeyTrusted = "release-key-trusted";
    public const string ReleaseImported = "release-imported";
    public const string ReleaseRefused = "release-refused";
    public const string ReleaseKeysRotated = "release-keys-rotated";
    public const string ReleaseRotationRefused = "release-rotation-refused";
    public const string DeviceGroupSet = "device-group-set";
    public const string RolloutStarted = "rollout-started";
    public const string RolloutPaused = "rollout-paused";
    public const string RolloutResumed = "rollout-resumed";
    public const string RolloutCancelled = "rollout-cancelled";
    public const string RolloutHalted = "rollout-halted";
    public const string RolloutCompleted = "rollout-completed";
    public const string UpdateOrdered = "update-ordered";
    public const string UpdateInstalled = "update-installed";
    public const string UpdateHealthy = "update-healthy";
    public const string UpdateRefused = "update-refused";
    public const string UpdateRolledBack = "update-rolled-back";
}

/// <summary>
/// An append-only, hash-chained record of what the host did. Each entry carries the hash of
/// the one before, and the head (last sequence and hash) is kept apart from the entries, so
/// an edited, deleted, inserted or reordered entry, and a cut tail, all show in
/// <see cref="AuditVerifier"/>.
/// Appending is synchronous, like logging: one short line and a flush, called from wherever
/// the event happens.
public interface IAuditTrail
{
    AuditEntry Append(string kind, string actor, string subject, string details);

    IReadOnlyList<AuditEntry> ReadAll();

    /// <summary>Whether any entry of this kind is about this subject (a series' filing, say).</summary>
    bool Records(string kind, string subject);

    /// <summary>The last sequence and hash as recorded apart from the entries; null before the first entry.</summary>
    (long Sequence, string Hash)? ReadHead();
}

/// <summary>The result of checking the chain: fine, or the first entry that breaks it and why.</summary>
public sealed record AuditVerification(bool Intact, long Entries, long? BrokenAt, string Reason);

public static class AuditVerifier
{
    public static AuditVerification Verify(IReadOnlyList<AuditEntry> entries, (long Sequence, string Hash)? head)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var previous = AuditEntry.GenesisHash;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (e.Sequence != i + 1)
            {
                return new(false, entries.Count, e.Sequence, $"entry {i + 1} has sequence {e.Sequence}: an entry was deleted, inserted or moved");
            }

            if (e.PreviousHash != previous)
            {
                return new(false, entries.Count, e.Sequence, $"entry {e.Sequence} does not follow the entry before it");
            }

            if (e.Format is not (1 or AuditEntry.CurrentFormat) || AuditEntry.HashOf(e.Sequence, e.At, e.Kind, e.Actor, e.Subject, e.Details, e.PreviousHash, e.Format) != e.Hash)
            {
                return new(false, entries.Count, e.Sequence, $"entry {e.Sequence} was changed after it was written");
            }

            previous = e.Hash;
        }

        var last = entries.Count == 0 ? ((long Sequence, string Hash)?)null : (entries[^1].Sequence, entries[^1].Hash);
        if (head != last)
        {
            return new(false, entries.Count, last?.Sequence ?? 0, $"the trail ends at {last?.Sequence ?? 0} but its head records {head?.Sequence ?? 0}: entries were cut from the end");
        }

        return new(true, entries.Count, null, "intact");
    }
}
