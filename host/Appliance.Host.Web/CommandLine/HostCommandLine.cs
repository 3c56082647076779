using System.CommandLine;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Backup;
using Appliance.Host.Infrastructure.Messaging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>appliance-host</c>: <c>serve</c> (the default) runs the host; <c>provision</c>, <c>rotate</c>
/// and <c>reprovision</c> write an appliance's enrolment package; <c>revoke</c> revokes an
/// appliance's certificates; <c>fleet</c> lists the appliances; <c>wipe</c> orders a remote wipe; <c>backup</c> and
/// <c>restore</c> (with verification) keep the data folder safe; <c>audit verify</c> checks the audit trail;
/// <c>broker-config</c> writes a mosquitto configuration for external broker mode. Configuration keys go after the command as <c>--Section:Key=value</c>.
/// </summary>
public static class HostCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ApplianceSuite host: files dermoscopy series from appliances, runs their broker and CA.");
        var serve = new Command("serve", "Run the host: pages, embedded MQTT broker over mutual TLS, filing.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = HostWebApplication.Create([.. parseResult.UnmatchedTokens]);
            try
            {
                await app.RunAsync(cancellationToken);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                // A setting the host refuses to run with (plain HTTP pages, say): the reason, not a stack trace.
                foreach (var failure in ex.Failures)
                {
                    await Console.Error.WriteLineAsync(failure);
                }

                return 2;
            }

            return 0;
        });

        var revokedId = new Argument<string>("device-id") { Description = "The appliance whose certificates to revoke." };
        var reasonOption = new Option<string>("--reason") { Description = "Why (stolen, retired, …); goes into the audit trail.", Required = true };
        var revokeJson = FleetCommands.JsonOption();
        var revoke = new Command("revoke", "Revoke every certificate issued to an appliance: the broker refuses it from its next connection.")
        {
            revokedId,
            reasonOption,
            revokeJson,
        };
        revoke.TreatUnmatchedTokensAsErrors = false;
        revoke.SetAction(async (parseResult, cancellationToken) =>
        {
            var id = parseResult.GetRequiredValue(revokedId);
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var count = app.Services.GetRequiredService<DeviceProvisioner>().Revoke(id, parseResult.GetRequiredValue(reasonOption));
            await Console.Out.WriteLineAsync(parseResult.GetValue(revokeJson)
                ? System.Text.Json.JsonSerializer.Serialize(new { deviceId = id, certificatesRevoked = count }, FleetCommands.Json)
                : $"Revoked {count} certificates of {id}. Re-provision it to give it new ones.");
            return 0;
        });

        var backupOut = new Option<FileInfo>("--out") { Description = "The backup file to write (owner-only; must not exist).", Required = true };
        var passphraseFile = new Option<FileInfo>("--passphrase-file") { Description = "A file holding the backup passphrase (at least 12 characters), so it is never on a command line.", Required = true };
        var backupJson = FleetCommands.JsonOption();
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
            await Console.Out.WriteLineAsync(parseResult.GetValue(backupJson)
                ? System.Text.Json.JsonSerializer.Serialize(new { backup = path, files = manifest.Files.Length, bytes = manifest.Files.Sum(f => f.Size) }, FleetCommands.Json)
                : $"Backed up {manifest.Files.Length} files ({manifest.Files.Sum(f => f.Size)} bytes) from {folder} to {path}.");
            return 0;
        });

        var restoreFrom = new Option<FileInfo>("--from") { Description = "The backup file.", Required = true };
        var restoreTo = new Option<DirectoryInfo>("--to") { Description = "A new or empty folder to restore into; point Host:DataFolder at it afterwards.", Required = true };
        var restoreJson = FleetCommands.JsonOption();
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
                    ? System.Text.Json.JsonSerializer.Serialize(new { restored = false, error = ex.Message }, FleetCommands.Json)
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
                    FleetCommands.Json));
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

        var verifyJson = FleetCommands.JsonOption();
        var verify = new Command("verify", "Check the audit trail's hash chain and its head: exit 0 if intact, 1 with the first broken entry.")
        {
            verifyJson,
        };
        verify.TreatUnmatchedTokensAsErrors = false;
        verify.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var trail = app.Services.GetRequiredService<IAuditTrail>();
            AuditVerification result;
            try
            {
                result = AuditVerifier.Verify(trail.ReadAll(), trail.ReadHead());
            }
            catch (InvalidDataException ex)
            {
                result = new AuditVerification(false, 0, null, ex.Message);
            }

            await Console.Out.WriteLineAsync(parseResult.GetValue(verifyJson)
                ? System.Text.Json.JsonSerializer.Serialize(new { intact = result.Intact, entries = result.Entries, brokenAt = result.BrokenAt, reason = result.Reason }, FleetCommands.Json)
                : result.Intact
                    ? $"Audit trail intact: {result.Entries} entries."
                    : $"Audit trail BROKEN at entry {result.BrokenAt}: {result.Reason}");
            return result.Intact ? 0 : 1;
        });
        var audit = new Command("audit", "The host's append-only, hash-chained audit trail.") { verify };

        var configOut = new Option<DirectoryInfo>("--out") { Description = "Folder for mosquitto.conf, the ACL, certificates and revocation list (owner-only).", Required = true };
        var brokerUser = new Option<string>("--broker-user") { Description = "The user mosquitto runs as (it must own --out). Default: mosquitto", DefaultValueFactory = _ => "mosquitto" };
        var configJson = FleetCommands.JsonOption();
        var brokerConfig = new Command("broker-config", "Write a mosquitto configuration for external broker mode: TLS with client certificates, an ACL from the fleet, the revocation list. Run again after provision or revoke.")
        {
            configOut,
            brokerUser,
            configJson,
        };
        brokerConfig.TreatUnmatchedTokensAsErrors = false;
        brokerConfig.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var user = parseResult.GetRequiredValue(brokerUser);
            var folder = parseResult.GetRequiredValue(configOut).FullName;
            var path = app.Services.GetRequiredService<MosquittoConfiguration>().Write(folder, brokerUser: user);
            if (parseResult.GetValue(configJson))
            {
                await Console.Out.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new { configuration = path, folder, brokerUser = user }, FleetCommands.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"Wrote {path} and its ACL, certificates and revocation list (owner-only).");
            await Console.Out.WriteLineAsync($"Then: chown {user}: {Path.Combine(folder, "server.key")} && chown -R {user}: {Path.Combine(folder, "data")} && mosquitto -c {path}");
            await Console.Out.WriteLineAsync($"and serve with --Broker:MosquittoConfigFolder={folder} --Broker:MosquittoReloadCommand=\"systemctl reload mosquitto\": the host then keeps the revocation list and ACL current itself.");
            return 0;
        });

        root.Subcommands.Add(FleetCommands.Wipe());
        root.Subcommands.Add(FleetCommands.Fleet());
        root.Subcommands.Add(UserCommands.User());
        root.Subcommands.Add(FleetCommands.Export());
        root.Subcommands.Add(serve);
        root.Subcommands.Add(brokerConfig);
        root.Subcommands.Add(FleetCommands.Provision("provision", ProvisioningKind.New, "Issue a device certificate and keys for a new appliance; write its enrolment package and show the one-time code."));
        root.Subcommands.Add(FleetCommands.Provision("rotate", ProvisioningKind.Rotate, "New certificate and keys for an appliance in service; its queued series are kept, and the old certificate is revoked once the new one connects."));
        root.Subcommands.Add(FleetCommands.Provision("reprovision", ProvisioningKind.Reprovision, "Credentials afresh for an appliance that was revoked or wiped (repaired, re-imaged, found again)."));
        root.Subcommands.Add(audit);
        root.Subcommands.Add(revoke);
        root.Subcommands.Add(backup);
        root.Subcommands.Add(restore);
        root.SetAction((parseResult, cancellationToken) => serve.Parse([.. parseResult.Tokens.Select(t => t.Value)]).InvokeAsync(cancellationToken: cancellationToken));
        root.TreatUnmatchedTokensAsErrors = false;
        return root;
    }
}
