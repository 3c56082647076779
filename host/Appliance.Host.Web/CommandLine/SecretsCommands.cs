using System.CommandLine;
using System.Text.Json;
using Appliance.Host.Core;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Archive;
using Appliance.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>secrets export FOLDER --instance ID…</c>: the secrets every host instance shares (CA, the
/// broker's server certificate, each named instance's client certificate, and the archive,
/// sealing, signing and session keys), copied from this host's data folder (made there first if
/// new) into a folder to mount read-only on every machine as <c>Host:SecretsFolder</c>.
/// </summary>
public static class SecretsCommands
{
    public static Command Secrets()
    {
        var folder = new Argument<DirectoryInfo>("folder") { Description = "Where to write them: a new or empty folder (owner-only), to mount read-only on each machine." };
        var instances = new Option<string[]>("--instance") { Description = "A host instance's Transfers:InstanceId (repeat for each), so each has a client certificate the broker knows." };
        var json = AdminCommand.JsonOption();
        var export = new Command("export", "Copy the secrets every host instance shares into a folder to mount as Host:SecretsFolder on each machine.") { folder, instances, json };
        export.TreatUnmatchedTokensAsErrors = false;
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var data = app.Services.GetRequiredService<IOptions<HostDataOptions>>().Value;
            var target = parseResult.GetRequiredValue(folder).FullName;
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            {
                await Console.Error.WriteLineAsync($"{target} is not empty: export into a new folder, and replace the mount with it.");
                return 2;
            }

            // Made if new, so the export is whole: the CA, the keys, and a client certificate for each instance.
            var ca = app.Services.GetRequiredService<FileCertificateAuthority>();
            _ = app.Services.GetRequiredService<ArchiveKeys>();
            _ = app.Services.GetRequiredService<IHostSealingKey>();
            _ = app.Services.GetRequiredService<IHostSigningKey>();
            _ = app.Services.GetRequiredService<SessionKeyProtection>();
            var files = new List<string[]>(SharedSecrets.Files);
            foreach (var instance in parseResult.GetValue(instances) ?? [])
            {
                if (!Appliance.Protocol.DeviceId.IsValid(instance))
                {
                    await Console.Error.WriteLineAsync($"'{instance}' is not an instance id (lower-case letters, digits and hyphens).");
                    return 2;
                }

                ca.HostClientCertificateFor($"{FileCertificateAuthority.HostClientId}.{instance}").Dispose();
                files.Add(SharedSecrets.InstanceCertificate(instance));
            }

            Appliance.Protocol.OwnerOnlyFiles.CreateFolder(target);
            foreach (var parts in files)
            {
                SecureFiles.WriteAllBytes(Path.Combine([target, .. parts]), await File.ReadAllBytesAsync(data.Secret(parts), cancellationToken));
            }

            await Console.Out.WriteLineAsync(parseResult.GetValue(json)
                ? JsonSerializer.Serialize(new { folder = target, files = files.Select(f => string.Join('/', f)) }, AdminCommand.Json)
                : $"Wrote {files.Count} files to {target}. Mount it read-only on each machine and set Host:SecretsFolder to it; keep it as you keep the CA key.");
            return 0;
        });

        var secrets = new Command("secrets", "The secrets host instances on several machines share.");
        secrets.Subcommands.Add(export);
        return secrets;
    }
}
