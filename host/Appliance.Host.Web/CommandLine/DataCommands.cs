using System.CommandLine;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Backup;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// The data folder's safekeeping: <c>backup</c> writes it encrypted under a passphrase,
/// <c>restore</c> puts it back into a new folder and verifies it. Both take <c>--json</c>.
/// </summary>
public static class DataCommands
{
    // A file that is not there is a parse error naming it (exit 1), before anything is opened or written.
    private static Option<FileInfo> PassphraseFile() =>
        new Option<FileInfo>("--passphrase-file") { Description = "A file holding the backup passphrase (at least 12 characters), so it is never on a command line.", Required = true }.AcceptExistingOnly();

    /// <summary>The backup command: stop the host first.</summary>
    public static Command Backup()
    {
        var passphraseFile = PassphraseFile();
        var backupOut = new Option<FileInfo>("--out") { Description = "The backup file to write (owner-only; must not exist).", Required = true };
        var backupJson = AdminCommand.JsonOption();
        var backup = new Command("backup", "Write the host's whole data folder, encrypted under a passphrase. Stop the host first.")
        {
            backupOut,
            passphraseFile,
            backupJson,
        };
        backup.TreatUnmatchedTokensAsErrors = false;
        backup.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var folder = app.Services.GetRequiredService<IOptions<HostDataOptions>>().Value.Resolve();
            var passphrase = (await File.ReadAllTextAsync(parseResult.GetRequiredValue(passphraseFile).FullName, cancellationToken)).Trim();
            var path = parseResult.GetRequiredValue(backupOut).FullName;
            var manifest = HostBackup.Create(folder, path, passphrase, TimeProvider.System);
            if (app.Services.GetService<Appliance.Host.PostgreSql.SchemaMigrations>() is not null)
            {
                // On standard error: standard output is the answer a script parses.
                await Console.Error.WriteLineAsync("Archive:Provider is PostgreSql: the state kept in the database is not in this backup. Back the database up with pg_dump (docs/operations.md).");
            }

            await Console.Out.WriteLineAsync(parseResult.GetValue(backupJson)
                ? System.Text.Json.JsonSerializer.Serialize(new { backup = path, files = manifest.Files.Length, bytes = manifest.Files.Sum(f => f.Size) }, AdminCommand.Json)
                : $"Backed up {manifest.Files.Length} files ({manifest.Files.Sum(f => f.Size)} bytes) from {folder} to {path}.");
            return 0;
        });

        return backup;
    }

    /// <summary>The restore command: every file against the manifest, every frame against its digest, the audit chain.</summary>
    public static Command Restore()
    {
        var passphraseFile = PassphraseFile();
        var restoreFrom = new Option<FileInfo>("--from") { Description = "The backup file.", Required = true }.AcceptExistingOnly();
        var restoreTo = new Option<DirectoryInfo>("--to") { Description = "A new or empty folder to restore into; point Host:DataFolder at it afterwards.", Required = true };
        var restoreJson = AdminCommand.JsonOption();
        var restore = new Command("restore", "Restore a backup into a new folder and verify it: every file against the manifest, every frame against its digest, the audit chain.")
        {
            restoreFrom,
            restoreTo,
            passphraseFile,
            restoreJson,
        };
        restore.TreatUnmatchedTokensAsErrors = false;
        restore.SetAction(async (parseResult, cancellationToken) =>
        {
            var target = parseResult.GetRequiredValue(restoreTo).FullName;
            var passphrase = (await File.ReadAllTextAsync(parseResult.GetRequiredValue(passphraseFile).FullName, cancellationToken)).Trim();
            BackupManifest manifest;
            try
            {
                manifest = HostBackup.Restore(parseResult.GetRequiredValue(restoreFrom).FullName, passphrase, target);
            }
            catch (InvalidDataException ex)
            {
                await Console.Out.WriteLineAsync(parseResult.GetValue(restoreJson)
                    ? System.Text.Json.JsonSerializer.Serialize(new { restored = false, error = ex.Message }, AdminCommand.Json)
                    : $"Restore FAILED: {ex.Message}");
                return 1;
            }

            await using var app = AdminCommand.CreateHost([$"--Host:DataFolder={target}", .. parseResult.UnmatchedTokens]);
            var archive = await ArchiveVerifier.VerifyAsync(app.Services.GetRequiredService<ISeriesArchive>(), cancellationToken);
            var trail = app.Services.GetRequiredService<IAuditTrail>();
            var audit = AuditVerifier.Verify(trail.ReadAll(), trail.ReadHead());
            if (parseResult.GetValue(restoreJson))
            {
                await Console.Out.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(
                    new { restored = archive.Intact && audit.Intact, folder = target, files = manifest.Files.Length, series = archive.Series, frames = archive.Frames, auditIntact = audit.Intact, problems = archive.Problems },
                    AdminCommand.Json));
            }
            else
            {
                await Console.Out.WriteLineAsync(
                    $"Restored {manifest.Files.Length} files to {target}: {archive.Series} series, {archive.Frames} frames read back against their digests; audit trail {(audit.Intact ? "intact" : "BROKEN: " + audit.Reason)}.");
                foreach (var problem in archive.Problems.Take(20))
                {
                    await Console.Out.WriteLineAsync("  " + problem);
                }
            }

            return archive.Intact && audit.Intact ? 0 : 1;
        });

        return restore;
    }
}
