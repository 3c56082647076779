using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Appliance.Host.Core.Releases;
using Appliance.Protocol.Releases;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>release keygen | sign | rotate | trust | import-rotation | import | list</c>: firmware
/// releases. <c>keygen</c>, <c>sign</c> and <c>rotate</c> are for the release manager's offline
/// machine and touch no host; <c>trust</c> tells the host its first release public key,
/// <c>import-rotation</c> takes a signed key rotation and <c>import</c> a package, each only if it
/// verifies.
/// </summary>
public static class ReleaseCommands
{
    public static Command Release()
    {
        var release = new Command("release", "Firmware releases: a release key kept offline signs them; the host imports only what verifies.");
        release.Subcommands.Add(Keygen());
        release.Subcommands.Add(Sign());
        release.Subcommands.Add(Rotate());
        release.Subcommands.Add(Trust());
        release.Subcommands.Add(ImportRotation());
        release.Subcommands.Add(Import());
        release.Subcommands.Add(List());
        return release;
    }

    private static Command Keygen()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for release.key (owner-only: keep it offline) and release.pub.", Required = true };
        var command = new Command("keygen", "Make a release key pair (Ed25519). Run it on the offline machine that will sign releases.") { output };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetRequiredValue(output).FullName;
            var (privatePath, publicPath) = (Path.Combine(folder, "release.key"), Path.Combine(folder, "release.pub"));
            if (File.Exists(privatePath) || File.Exists(publicPath))
            {
                await Console.Error.WriteLineAsync($"{folder} already holds a release key: nothing was changed.");
                return 2;
            }

            var (privateKey, publicKey) = ReleasePackage.CreateKeyPair();
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(privatePath, Convert.ToBase64String(privateKey) + "\n", cancellationToken);
            File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await File.WriteAllTextAsync(publicPath, Convert.ToBase64String(publicKey) + "\n", cancellationToken);
            await Console.Out.WriteLineAsync($"Release key {ReleaseManifest.KeyIdOf(publicKey)}: private half {privatePath} (keep it offline), public half {publicPath} (give it to the host: release trust).");
            return 0;
        });
        return command;
    }

    private static Command Sign()
    {
        var key = new Option<FileInfo>("--key") { Description = "The release private key (release.key).", Required = true }.AcceptExistingOnly();
        var firmware = new Option<DirectoryInfo>("--firmware-dir") { Description = "The published, self-contained firmware folder.", Required = true }.AcceptExistingOnly();
        var version = new Option<string>("--version") { Description = "major.minor.patch", Required = true };
        var floor = new Option<int>("--floor") { Description = "The security floor the release raises an appliance to once it is healthy; a release below an appliance's floor never installs.", Required = true };
        var architecture = new Option<string>("--arch") { Description = "The runtime identifier it was published for.", DefaultValueFactory = _ => "linux-arm64" };
        var models = new Option<string[]>("--model") { Description = "A model it is for (repeat): pi4, pi5.", Required = true, AllowMultipleArgumentsPerToken = true };
        var supportEnds = new Option<DateOnly>("--support-ends") { Description = "The last day it gets security fixes (yyyy-MM-dd).", Required = true };
        var storeFormat = new Option<int>("--store-format") { Description = "The store format it writes.", DefaultValueFactory = _ => 1 };
        var notes = new Option<string>("--notes") { Description = "Release notes for the admin.", DefaultValueFactory = _ => string.Empty };
        var output = new Option<FileInfo>("--out") { Description = "The release package to write (must not exist).", Required = true };
        var command = new Command("sign", "Pack and sign a published firmware folder as a release package, with the release key.")
        {
            key, firmware, version, floor, architecture, models, supportEnds, storeFormat, notes, output,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var privateKey = Convert.FromBase64String((await File.ReadAllTextAsync(parseResult.GetRequiredValue(key).FullName, cancellationToken)).Trim());
                var manifest = ReleasePackage.Create(
                    parseResult.GetRequiredValue(firmware).FullName,
                    new ReleaseManifest(
                        ReleaseManifest.CurrentFormat, parseResult.GetRequiredValue(version), parseResult.GetValue(floor), parseResult.GetValue(architecture)!,
                        parseResult.GetRequiredValue(models), 0, string.Empty, parseResult.GetValue(supportEnds), parseResult.GetValue(storeFormat),
                        parseResult.GetValue(notes) ?? string.Empty, string.Empty),
                    privateKey,
                    parseResult.GetRequiredValue(output).FullName);
                await Console.Out.WriteLineAsync($"Signed {manifest.Version} for {manifest.Architecture} ({string.Join(", ", manifest.Models)}), floor {manifest.SecurityFloor}, {manifest.PayloadSize} bytes, sha256 {manifest.PayloadSha256}, key {manifest.KeyId}.");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"Not signed: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command Rotate()
    {
        var keys = new Option<FileInfo[]>("--key") { Description = "A private key of the set in force (repeat, up to its threshold).", Required = true, AllowMultipleArgumentsPerToken = true };
        var next = new Option<FileInfo[]>("--new-key") { Description = "A private key of the new set (repeat): each signs too, to show it is held.", Required = true, AllowMultipleArgumentsPerToken = true };
        var sequence = new Option<int>("--sequence") { Description = "The new set's number: one more than the set in force (release list shows it).", Required = true };
        var threshold = new Option<int>("--threshold") { Description = "How many of the new keys must sign the next rotation.", DefaultValueFactory = _ => 1 };
        var notes = new Option<string>("--notes") { Description = "Why the keys change.", DefaultValueFactory = _ => string.Empty };
        var output = new Option<FileInfo>("--out") { Description = "The signed rotation to write (must not exist).", Required = true };
        var command = new Command("rotate", "Sign a rotation to a new set of release keys, with the keys in force and the new ones. Run it on the offline machine.")
        {
            keys, next, sequence, threshold, notes, output,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                var signers = new List<byte[]>();
                foreach (var file in parseResult.GetRequiredValue(keys).Concat(parseResult.GetRequiredValue(next)))
                {
                    signers.Add(Convert.FromBase64String((await File.ReadAllTextAsync(file.FullName, cancellationToken)).Trim()));
                }

                var newKeys = parseResult.GetRequiredValue(next).Length;
                var rotation = new ReleaseKeyRotation(
                    ReleaseKeyRotation.CurrentFormat, parseResult.GetValue(sequence),
                    [.. signers.TakeLast(newKeys).Select(k => Convert.ToBase64String(Appliance.Protocol.SeriesSigning.PublicKeyOf(k)))],
                    parseResult.GetValue(threshold), TimeProvider.System.GetUtcNow(), parseResult.GetValue(notes) ?? string.Empty);
                var signed = ReleaseKeyRotations.Sign(rotation, signers);
                await using (var file = new FileStream(parseResult.GetRequiredValue(output).FullName, FileMode.CreateNew, FileAccess.Write))
                {
                    await JsonSerializer.SerializeAsync(file, signed, AdminCommand.Json, cancellationToken);
                }

                await Console.Out.WriteLineAsync($"Key set {rotation.Sequence} signed: {string.Join(", ", rotation.KeySet().KeyIds)}, threshold {rotation.Threshold}. Give it to the host: release import-rotation.");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"Not signed: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command ImportRotation()
    {
        var file = new Argument<FileInfo>("rotation") { Description = "A signed key rotation (release rotate writes it)." }.AcceptExistingOnly();
        var json = AdminCommand.JsonOption();
        var command = new Command("import-rotation", "Accept a signed release key rotation if the keys in force sign it; the appliances follow it with their next update order.") { file, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            SignedKeyRotation? rotation;
            try
            {
                rotation = JsonSerializer.Deserialize<SignedKeyRotation>(await File.ReadAllBytesAsync(parseResult.GetRequiredValue(file).FullName, cancellationToken), AdminCommand.Json);
            }
            catch (JsonException ex)
            {
                await Console.Error.WriteLineAsync($"Not a signed rotation: {ex.Message}");
                return 2;
            }

            var (set, refusal) = app.Services.GetRequiredService<ReleaseLibrary>().ImportRotation(rotation!, Environment.UserName);
            await Console.Out.WriteLineAsync(parseResult.GetValue(json)
                ? JsonSerializer.Serialize(new { imported = set is not null, refusal, sequence = set?.Sequence, keys = set?.KeyIds, threshold = set?.Threshold }, AdminCommand.Json)
                : set is not null ? $"Key set {set.Sequence} in force: {string.Join(", ", set.KeyIds)}, threshold {set.Threshold}." : $"Refused: {refusal}.");
            return set is not null ? 0 : 1;
        });
        return command;
    }

    private static Command Trust()
    {
        var publicKey = new Argument<FileInfo>("public-key") { Description = "A release public key (release.pub)." }.AcceptExistingOnly();
        var json = AdminCommand.JsonOption();
        var command = new Command("trust", "Trust a release public key: packages signed with it may be imported, and bundles carry it.") { publicKey, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            try
            {
                var bytes = Convert.FromBase64String((await File.ReadAllTextAsync(parseResult.GetRequiredValue(publicKey).FullName, cancellationToken)).Trim());
                var trusted = app.Services.GetRequiredService<ReleaseLibrary>().Trust(bytes, Environment.UserName);
                await Console.Out.WriteLineAsync(parseResult.GetValue(json) ? JsonSerializer.Serialize(trusted, AdminCommand.Json) : $"Release key {trusted.KeyId} trusted.");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync($"Not a release public key: {ex.Message}");
                return 2;
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync($"Not trusted: {ex.Message}.");
                return 1;
            }
        });
        return command;
    }

    private static Command Import()
    {
        var package = new Argument<FileInfo>("package") { Description = "A release package (release sign writes it)." }.AcceptExistingOnly();
        var json = AdminCommand.JsonOption();
        var command = new Command("import", "Verify a release package against the trusted release keys and keep it; a package that does not verify is refused and nothing is kept.") { package, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var check = app.Services.GetRequiredService<ReleaseLibrary>().Import(parseResult.GetRequiredValue(package).FullName, Environment.UserName);
            await Console.Out.WriteLineAsync(parseResult.GetValue(json)
                ? JsonSerializer.Serialize(new { imported = check.Accepted, refusal = check.Refusal?.ToString(), reason = check.Reason, version = check.Manifest?.Version }, AdminCommand.Json)
                : check.Accepted ? $"Imported {check.Reason}." : $"Refused ({check.Refusal}): {check.Reason}.");
            return check.Accepted ? 0 : 1;
        });
        return command;
    }

    private static Command List()
    {
        var json = AdminCommand.JsonOption();
        var command = new Command("list", "The imported releases and the trusted release keys.") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var library = app.Services.GetRequiredService<ReleaseLibrary>();
            var releases = library.List();
            var keys = library.CurrentKeys();
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { releases, keySet = new { keys.Sequence, KeyIds = keys.KeyIds.ToArray(), keys.Threshold } }, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"{"VERSION",-10} {"ARCH",-12} {"FLOOR",5} {"MODELS",-12} {"SUPPORT ENDS",-12} {"KEY",-16} IMPORTED (UTC)");
            foreach (var r in releases)
            {
                var m = r.Manifest;
                await Console.Out.WriteLineAsync($"{m.Version,-10} {m.Architecture,-12} {m.SecurityFloor,5} {string.Join(",", m.Models),-12} {m.SupportEnds.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),-12} {m.KeyId,-16} {r.ImportedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}");
            }

            await Console.Out.WriteLineAsync(keys.Keys.Count > 0
                ? $"Release key set {keys.Sequence}: {string.Join(", ", keys.KeyIds)} (a rotation needs {keys.Threshold} of them)"
                : "Trusted release keys: none (release trust)");
            return 0;
        });
        return command;
    }
}
