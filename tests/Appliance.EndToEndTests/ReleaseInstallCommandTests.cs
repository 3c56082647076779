using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// <c>appliance-firmware install-release</c> through the executable, on an appliance enrolled with
/// a bundle that carries the host's trusted release key: a release installed and switched to, the
/// next one beside it; and each bad package (tampered, another key, another architecture, below the
/// appliance's floor) refused with its reason and nothing changed.
/// </summary>
public sealed class ReleaseInstallCommandTests
{
    [Fact]
    public async Task ReleasesInstallBesideEachOther_AndEveryBadPackageIsRefused_ChangingNothing()
    {
        using var folder = new TempFolder("install-release");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var (privateKey, publicKey) = ReleasePackage.CreateKeyPair();
        host.Services.GetRequiredService<ReleaseLibrary>().Trust(publicKey, "test");
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment("release-01", ProvisioningKind.New, "127.0.0.1", 8883);
        var package = folder.Combine("release-01.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = $"--Firmware:DataFolder={folder.Combine("appliance")}";
        var (enrolled, said) = await Builds.RunFirmwareAsync(["enrol", "--package", package, data], new Dictionary<string, string> { ["APPLIANCE_ENROLMENT_CODE"] = provisioned.EnrolmentCode });
        Assert.True(enrolled == 0, said);

        var root = folder.Combine("releases-root");
        string[] pi4 = [data, $"--Update:Root={root}", "--Update:Model=pi4", "--Update:Architecture=linux-arm64"];
        string Release(string version, int floor = 2, string architecture = "linux-arm64", byte[]? key = null)
        {
            var publish = Directory.CreateDirectory(folder.Combine($"publish-{version}-{architecture}")).FullName;
            File.WriteAllText(Path.Combine(publish, "Appliance.Firmware"), $"#!/bin/sh\necho {version}\n");
            File.WriteAllBytes(Path.Combine(publish, "Appliance.Firmware.dll"), new byte[30_000]);
            var path = folder.Combine($"firmware-{version}-{architecture}-{Guid.NewGuid():N}.release");
            ReleasePackage.Create(publish, new ReleaseManifest(ReleaseManifest.CurrentFormat, version, floor, architecture, ["pi4", "pi5"], 0, string.Empty, new DateOnly(2028, 12, 31), 1, string.Empty, string.Empty), key ?? privateKey, path);
            return path;
        }

        var (installed, output) = await Builds.RunFirmwareAsync(["install-release", Release("1.4.0"), .. pi4]);
        Assert.True(installed == 0, output);
        Assert.Contains("1.4.0 installed and current.", output, StringComparison.Ordinal);
        (installed, output) = await Builds.RunFirmwareAsync(["install-release", Release("1.5.0", floor: 3), .. pi4]);
        Assert.True(installed == 0, output);
        Assert.Contains("1.5.0 installed beside 1.4.0 and current.", output, StringComparison.Ordinal);
        var layout = new Appliance.Firmware.Updates.ReleaseLayout(root);
        Assert.Equal(("1.5.0", "1.4.0"), (layout.CurrentVersion, layout.PreviousVersion));

        // The appliance has confirmed floor 3 (as a healthy 1.5.0 would record it).
        await File.WriteAllTextAsync(Path.Combine(root, "floor"), "3\n");
        var tampered = Release("1.6.0", floor: 3);
        var bytes = await File.ReadAllBytesAsync(tampered);
        bytes[^2048] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);
        foreach (var (bad, refusal) in new[]
        {
            (tampered, "Tampered"),
            (Release("1.6.1", floor: 3, key: ReleasePackage.CreateKeyPair().PrivateKey), "UnknownKey"),
            (Release("1.6.2", floor: 3, architecture: "linux-x64"), "WrongArchitecture"),
            (Release("1.4.1", floor: 2), "BelowFloor"),
        })
        {
            var (exit, refused) = await Builds.RunFirmwareAsync(["install-release", bad, .. pi4]);
            Assert.True(exit == 1, refused);
            Assert.Contains($"Refused ({refusal})", refused, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed.", refused, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", refused, StringComparison.Ordinal);
        }

        Assert.Equal(("1.5.0", "1.4.0"), (layout.CurrentVersion, layout.PreviousVersion));
        Assert.Equal(["1.4.0", "1.5.0"], Directory.EnumerateDirectories(layout.Releases).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
