using System.Text.Json;
using Appliance.Protocol;
using Appliance.TestFixtures;
using static Appliance.EndToEndTests.HostCli;

namespace Appliance.EndToEndTests;

/// <summary>The admin's command line as a script uses it: the real <c>appliance-host</c> executable, <c>--json</c> output.</summary>
public sealed class AdminCommandLineTests
{
    [Fact]
    public async Task SecretsExport_WritesWhatInstancesShare_AndAnInstanceMissingOne_IsToldTheStepAndMakesNothing()
    {
        using var folder = new TempFolder("secrets-cli");
        var secrets = folder.Combine("secrets");
        var exported = await RunJsonAsync("secrets", "export", secrets, "--instance", "site-a", "--json", $"--Host:DataFolder={folder.Combine("admin")}");
        Assert.Equal(9, exported.GetProperty("files").GetArrayLength());
        Assert.All(Directory.EnumerateFiles(secrets, "*", SearchOption.AllDirectories), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal(await File.ReadAllBytesAsync(folder.Combine("admin", "keys", "archive.key")), await File.ReadAllBytesAsync(Path.Combine(secrets, "keys", "archive.key")));
        var (again, refusal) = await RunAsync("secrets", "export", secrets, $"--Host:DataFolder={folder.Combine("admin")}");
        Assert.Equal((2, true), (again, refusal.Contains("not empty", StringComparison.Ordinal)));

        // An instance the export did not name has no client certificate there: it is told so, exit 3, and writes nothing into the secrets folder.
        File.Delete(Path.Combine(secrets, "keys", "signing.key"));
        var before = Directory.EnumerateFiles(secrets, "*", SearchOption.AllDirectories).Order().ToList();
        var (exit, output) = await RunAsync("fleet", "--json", $"--Host:DataFolder={folder.Combine("site-b")}", $"--Host:SecretsFolder={secrets}");
        Assert.Equal(3, exit);
        Assert.Contains("has no keys/signing.key", output, StringComparison.Ordinal);
        Assert.Contains("secrets export", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", output, StringComparison.Ordinal);
        Assert.Equal(before, Directory.EnumerateFiles(secrets, "*", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public async Task EveryAdminAction_IsScriptable_WithJsonOutput()
    {
        using var folder = new TempFolder("admin-cli");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var passwordFile = folder.Combine("admin.pass");
        await File.WriteAllTextAsync(passwordFile, "a long admin password\n");

        var user = await RunJsonAsync("user", "add", "it.admin", "--role", "admin", "--password-file", passwordFile, "--json", data);
        Assert.Equal("admin", user.GetProperty("role").GetString());

        var packagePath = folder.Combine("clinic-cli-01.enrol.json");
        var provisioned = await RunJsonAsync("provision", "clinic-cli-01", "--out", packagePath, "--json", data);
        Assert.Matches("^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$", provisioned.GetProperty("enrolmentCode").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(packagePath));
        Assert.DoesNotContain("PRIVATE KEY", await File.ReadAllTextAsync(packagePath), StringComparison.Ordinal);

        var (again, output) = await RunAsync("provision", "clinic-cli-01", "--out", folder.Combine("again.json"), data);
        Assert.Equal(2, again);
        Assert.Contains("already provisioned", output);

        var fleet = await RunJsonAsync("fleet", "--json", data);
        var entry = Assert.Single(fleet.EnumerateArray());
        Assert.Equal("clinic-cli-01", entry.GetProperty("deviceId").GetString());
        Assert.False(entry.GetProperty("online").GetBoolean());
        Assert.Equal("never seen", entry.GetProperty("state").GetString());

        var wipe = await RunJsonAsync("wipe", "clinic-cli-01", "--json", "--requested-by", "it.admin", data);
        Assert.Equal("Issued", wipe.GetProperty("state").GetString());
        fleet = await RunJsonAsync("fleet", "--json", data);
        Assert.Equal("wipe (issued)", Assert.Single(Assert.Single(fleet.EnumerateArray()).GetProperty("pendingCommands").EnumerateArray()).GetString());

        var revoked = await RunJsonAsync("revoke", "clinic-cli-01", "--reason", "lost on the bus", "--json", data);
        Assert.Equal(1, revoked.GetProperty("certificatesRevoked").GetInt32());
        var audit = await RunJsonAsync("audit", "verify", "--json", data);
        Assert.True(audit.GetProperty("intact").GetBoolean());
        Assert.True(audit.GetProperty("entries").GetInt32() >= 4); // user, provisioning, wipe issued, revocation
    }

    [Fact]
    public async Task UserCommands_ListDisableEnableRoleResetSignOutAndRemove_AreScriptable_AndAudited()
    {
        using var folder = new TempFolder("admin-cli-users");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var passwordFile = folder.Combine("pass");
        await File.WriteAllTextAsync(passwordFile, "a long admin password\n");
        await RunJsonAsync("user", "add", "it.admin", "--role", "admin", "--password-file", passwordFile, "--json", data);
        await RunJsonAsync("user", "add", "nurse.cli", "--role", "clinic", "--password-file", passwordFile, "--json", data);

        var disabled = await RunJsonAsync("user", "disable", "nurse.cli", "--json", data);
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        var listed = (await RunJsonAsync("user", "list", "--json", data)).EnumerateArray().ToDictionary(u => u.GetProperty("name").GetString()!);
        Assert.True(listed["nurse.cli"].GetProperty("disabled").GetBoolean());
        Assert.False(listed["it.admin"].GetProperty("disabled").GetBoolean());
        Assert.Equal("clinic", listed["nurse.cli"].GetProperty("role").GetString());

        Assert.False((await RunJsonAsync("user", "enable", "nurse.cli", "--json", data)).GetProperty("disabled").GetBoolean());
        Assert.Equal("dermatologist", (await RunJsonAsync("user", "role", "nurse.cli", "--role", "dermatologist", "--json", data)).GetProperty("role").GetString());
        await File.WriteAllTextAsync(passwordFile, "another long password\n");
        Assert.True((await RunJsonAsync("user", "reset-password", "nurse.cli", "--password-file", passwordFile, "--json", data)).GetProperty("passwordReset").GetBoolean());
        Assert.True((await RunJsonAsync("user", "sign-out", "nurse.cli", "--json", data)).GetProperty("sessionsEnded").GetBoolean());

        // The last admin stays: refused with the reason, exit 2.
        var (refused, why) = await RunAsync("user", "disable", "it.admin", data);
        Assert.Equal(2, refused);
        Assert.Contains("only admin", why, StringComparison.Ordinal);

        Assert.True((await RunJsonAsync("user", "remove", "nurse.cli", "--json", data)).GetProperty("removed").GetBoolean());
        Assert.Single((await RunJsonAsync("user", "list", "--json", data)).EnumerateArray());
        var (unknown, _) = await RunAsync("user", "enable", "nurse.cli", data);
        Assert.Equal(2, unknown);

        var audit = await RunJsonAsync("audit", "verify", "--json", data);
        Assert.True(audit.GetProperty("intact").GetBoolean());
        Assert.True(audit.GetProperty("entries").GetInt32() >= 8); // two added, disabled, enabled, role, reset, signed out everywhere, removed
    }

    [Fact]
    public async Task ASecretFileThatIsNotThere_IsNamedInOneLine_NotAStackTrace()
    {
        using var folder = new TempFolder("admin-cli-missing-file");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var missing = folder.Combine("no-such.pass");
        foreach (var arguments in new[]
        {
            new[] { "user", "add", "it.admin", "--role", "admin", "--password-file", missing, data },
            ["user", "reset-password", "it.admin", "--password-file", missing, data],
            ["backup", "--out", folder.Combine("backup.bin"), "--passphrase-file", missing, data],
            ["restore", "--from", folder.Combine("no-such.bin"), "--to", folder.Combine("restored"), "--passphrase-file", missing],
        })
        {
            var (exit, output) = await RunAsync(arguments);
            Assert.True(exit != 0, output);
            Assert.Contains("does not exist", output, StringComparison.Ordinal);
            Assert.Contains(missing, output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(folder.Combine("backup.bin")));
        Assert.False(Directory.Exists(folder.Combine("restored")));
    }

    [Fact]
    public async Task Releases_AreSignedOffline_AndImportedOnlyWhenTheyVerifyAgainstATrustedKey_AllAudited()
    {
        using var folder = new TempFolder("admin-cli-release");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var firmware = Directory.CreateDirectory(folder.Combine("publish")).FullName;
        await File.WriteAllTextAsync(Path.Combine(firmware, "Appliance.Firmware"), "#!/bin/sh\n");
        await File.WriteAllBytesAsync(Path.Combine(firmware, "Appliance.Firmware.dll"), new byte[50_000]);

        // The release manager's offline machine: a key pair, then a signed package. No host involved.
        var (made, said) = await RunAsync("release", "keygen", "--out", folder.Combine("keys"));
        Assert.True(made == 0, said);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(folder.Combine("keys", "release.key")));
        Assert.Equal(2, (await RunAsync("release", "keygen", "--out", folder.Combine("keys"))).Exit);
        var package = folder.Combine("firmware-1.4.0.release");
        (made, said) = await RunAsync("release", "sign", "--key", folder.Combine("keys", "release.key"), "--firmware-dir", firmware, "--version", "1.4.0",
            "--floor", "2", "--model", "pi4", "--model", "pi5", "--support-ends", "2028-12-31", "--notes", "Focus check on dark skin.", "--out", package);
        Assert.True(made == 0, said);

        // The host refuses it until the key is trusted, then keeps it; a second import of the same version is refused.
        var refused = await RunJsonAsync(1, "release", "import", package, "--json", data);
        Assert.False(refused.GetProperty("imported").GetBoolean());
        Assert.Equal("UnknownKey", refused.GetProperty("refusal").GetString());
        await RunJsonAsync("release", "trust", folder.Combine("keys", "release.pub"), "--json", data);
        var imported = await RunJsonAsync("release", "import", package, "--json", data);
        Assert.True(imported.GetProperty("imported").GetBoolean());
        Assert.Equal("1.4.0", imported.GetProperty("version").GetString());
        Assert.False((await RunJsonAsync(1, "release", "import", package, "--json", data)).GetProperty("imported").GetBoolean());

        // A package altered after signing is refused and not kept.
        var tampered = folder.Combine("firmware-1.4.1.release");
        (made, said) = await RunAsync("release", "sign", "--key", folder.Combine("keys", "release.key"), "--firmware-dir", firmware, "--version", "1.4.1",
            "--floor", "2", "--model", "pi4", "--support-ends", "2028-12-31", "--out", tampered);
        Assert.True(made == 0, said);
        var bytes = await File.ReadAllBytesAsync(tampered);
        bytes[bytes.Length - 2048] ^= 0x20;
        await File.WriteAllBytesAsync(tampered, bytes);
        Assert.Equal("Tampered", (await RunJsonAsync(1, "release", "import", tampered, "--json", data)).GetProperty("refusal").GetString());

        var listed = await RunJsonAsync("release", "list", "--json", data);
        Assert.Equal(["1.4.0"], listed.GetProperty("releases").EnumerateArray().Select(r => r.GetProperty("manifest").GetProperty("version").GetString()));
        Assert.Equal(0, listed.GetProperty("keySet").GetProperty("sequence").GetInt32());
        Assert.Single(listed.GetProperty("keySet").GetProperty("keyIds").EnumerateArray());
        Assert.False(File.Exists(folder.Combine("host", "releases", "1.4.1-linux-arm64.release")));
        // Every appliance provisioned from now on carries the trusted release key in its bundle.
        var packagePath = folder.Combine("clinic-rel-01.enrol.json");
        var provisioned = await RunJsonAsync("provision", "clinic-rel-01", "--out", packagePath, "--json", data);
        Assert.True(ProtocolJson.TryDeserialize<EnrolmentPackage>(await File.ReadAllBytesAsync(packagePath), out var sealedPackage, out var unreadable), unreadable);
        var bundle = sealedPackage.Open(provisioned.GetProperty("enrolmentCode").GetString()!);
        Assert.Equal([(await File.ReadAllTextAsync(folder.Combine("keys", "release.pub"))).Trim()], bundle.ReleaseKeys ?? []);

        // A rollout from the command line: to a group, paused, resumed, cancelled; the fleet shows the target.
        var (grouped, groupSaid) = await RunAsync("group", "clinic-rel-01", "canary", data);
        Assert.True(grouped == 0, groupSaid);
        Assert.Equal(2, (await RunAsync("group", "clinic-rel-01", "not a group", data)).Exit);
        Assert.Equal(2, (await RunAsync("rollout", "start", "--version", "9.9.9", data)).Exit);
        var rollout = await RunJsonAsync("rollout", "start", "--version", "1.4.0", "--group", "canary", "--json", data);
        var rolloutId = rollout.GetProperty("rolloutId").GetString()!;
        Assert.Equal(["clinic-rel-01"], rollout.GetProperty("waves")[0].GetProperty("devices").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(2, (await RunAsync("rollout", "start", "--version", "1.4.0", data)).Exit); // one active rollout at a time
        Assert.Equal(0, (await RunAsync("rollout", "pause", rolloutId, data)).Exit);
        Assert.Equal(2, (await RunAsync("rollout", "pause", rolloutId, data)).Exit);
        Assert.Equal(0, (await RunAsync("rollout", "resume", rolloutId, data)).Exit);
        var fleet = await RunJsonAsync("fleet", "--json", data);
        var entry = fleet.EnumerateArray().Single(e => e.GetProperty("deviceId").GetString() == "clinic-rel-01").GetProperty("update");
        Assert.Equal(("1.4.0", "pending"), (entry.GetProperty("targetVersion").GetString(), entry.GetProperty("state").GetString()));
        Assert.Equal(0, (await RunAsync("rollout", "cancel", rolloutId, data)).Exit);
        var (shown, table) = await RunAsync("rollout", "show", rolloutId, data);
        Assert.True(shown == 0, table);
        Assert.Contains($"Rollout {rolloutId}: 1.4.0 (linux-arm64), cancelled", table, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^ +1 clinic-rel-01 +pending ", table);
        Assert.Equal("cancelled", (await RunJsonAsync("rollout", "list", "--json", data))[0].GetProperty("rollout").GetProperty("state").GetString(), StringComparer.OrdinalIgnoreCase);

        var audit = await RunJsonAsync("audit", "verify", "--json", data);
        Assert.True(audit.GetProperty("intact").GetBoolean());
        // refused (unknown key), trusted, imported, refused (already imported), refused (tampered), provisioned; grouped, started, paused, resumed, cancelled
        Assert.Equal(11, audit.GetProperty("entries").GetInt32());
    }

    [Fact]
    public async Task ReleaseKeys_ChangeOnlyByARotationTheKeysInForceSign_AndNewBundlesStartFromIt()
    {
        using var folder = new TempFolder("admin-cli-rotation");
        var data = $"--Host:DataFolder={folder.Combine("host")}";
        var firmware = Directory.CreateDirectory(folder.Combine("publish")).FullName;
        await File.WriteAllTextAsync(Path.Combine(firmware, "Appliance.Firmware"), "#!/bin/sh\n");
        foreach (var name in new[] { "first", "second" })
        {
            var (made, said) = await RunAsync("release", "keygen", "--out", folder.Combine(name));
            Assert.True(made == 0, said);
        }

        await RunJsonAsync("release", "trust", folder.Combine("first", "release.pub"), "--json", data);

        // Offline: the new key alone cannot make itself trusted; the key in force and the new key together can.
        var forged = folder.Combine("forged.json");
        var (signed, output) = await RunAsync("release", "rotate", "--key", folder.Combine("second", "release.key"), "--new-key", folder.Combine("second", "release.key"), "--sequence", "1", "--out", forged);
        Assert.True(signed == 0, output);
        var rotation = folder.Combine("rotation-1.json");
        (signed, output) = await RunAsync("release", "rotate", "--key", folder.Combine("first", "release.key"), "--new-key", folder.Combine("second", "release.key"), "--sequence", "1", "--notes", "yearly rotation", "--out", rotation);
        Assert.True(signed == 0, output);

        var refused = await RunJsonAsync(1, "release", "import-rotation", forged, "--json", data);
        Assert.StartsWith("signed by 0 of the trusted release keys", refused.GetProperty("refusal").GetString(), StringComparison.Ordinal);
        var rotated = await RunJsonAsync("release", "import-rotation", rotation, "--json", data);
        Assert.Equal(1, rotated.GetProperty("sequence").GetInt32());
        var secondId = rotated.GetProperty("keys")[0].GetString();
        // Played again, it does not follow the set in force; a key trusted by hand would bypass the rotations.
        Assert.Equal("rotation 1 does not follow key set 1", (await RunJsonAsync(1, "release", "import-rotation", rotation, "--json", data)).GetProperty("refusal").GetString());
        Assert.Equal(1, (await RunAsync("release", "trust", folder.Combine("first", "release.pub"), data)).Exit);

        // The old key's packages are refused from now on; the new key's are imported.
        foreach (var (name, version) in new[] { ("first", "2.0.0"), ("second", "2.0.1") })
        {
            var (made, said) = await RunAsync("release", "sign", "--key", folder.Combine(name, "release.key"), "--firmware-dir", firmware, "--version", version,
                "--floor", "1", "--model", "pi4", "--support-ends", "2028-12-31", "--out", folder.Combine($"{version}.release"));
            Assert.True(made == 0, said);
        }

        Assert.Equal("UnknownKey", (await RunJsonAsync(1, "release", "import", folder.Combine("2.0.0.release"), "--json", data)).GetProperty("refusal").GetString());
        Assert.True((await RunJsonAsync("release", "import", folder.Combine("2.0.1.release"), "--json", data)).GetProperty("imported").GetBoolean());
        var keySet = (await RunJsonAsync("release", "list", "--json", data)).GetProperty("keySet");
        Assert.Equal((1, secondId), (keySet.GetProperty("sequence").GetInt32(), keySet.GetProperty("keyIds").EnumerateArray().Single().GetString()));

        // An appliance enrolled now starts from set 1.
        var packagePath = folder.Combine("clinic-rot-01.enrol.json");
        var provisioned = await RunJsonAsync("provision", "clinic-rot-01", "--out", packagePath, "--json", data);
        Assert.True(ProtocolJson.TryDeserialize<EnrolmentPackage>(await File.ReadAllBytesAsync(packagePath), out var sealedPackage, out var unreadable), unreadable);
        var bundle = sealedPackage.Open(provisioned.GetProperty("enrolmentCode").GetString()!);
        Assert.Equal([(await File.ReadAllTextAsync(folder.Combine("second", "release.pub"))).Trim()], bundle.ReleaseKeys ?? []);
        Assert.Equal(1, bundle.ReleaseKeySequence);

        var audit = await RunJsonAsync("audit", "verify", "--json", data);
        Assert.True(audit.GetProperty("intact").GetBoolean());
        // trusted, rotation refused, rotated, rotation refused, refused (old key), imported, provisioned
        Assert.Equal(7, audit.GetProperty("entries").GetInt32());
    }
}
