using System.Text.Json;
using Appliance.Demo;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Core.Releases;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// <c>appliance-firmware selftest</c> as an installer runs it, through the executable, against a
/// host serving on loopback: an enrolled simulated appliance passes every row; the same
/// appliance after the host revoked it, or with the host gone, fails the broker's row and exits 1.
/// </summary>
public sealed class SelfTestCommandTests
{
    [Fact]
    public async Task AnEnrolledSimulatedAppliance_PassesEveryRow_InTheTableAndInJson()
    {
        using var folder = new TempFolder("selftest-pass");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var releaseKey = host.Services.GetRequiredService<ReleaseLibrary>().Trust(ReleasePackage.CreateKeyPair().PublicKey, "test");
        var appliance = await EnrolAsync(host, folder, "selftest-01");

        var (exit, table) = await RunAsync(appliance);
        Assert.True(exit == 0, table);
        Assert.Contains("Appliance self-test of selftest-01", table, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^camera frame +pass +640x480 under the cross-polarised ring", table);
        Assert.Matches($@"(?m)^broker 127\.0\.0\.1:{appliance.Port} +pass +TLS 1\.[23] both ways", table);
        Assert.Matches($@"(?m)^release keys +pass +firmware releases trusted from {releaseKey.KeyId} \(key set 0\)$", table);
        Assert.Matches(@"All \d+ checks passed\.", table);

        var (jsonExit, json) = await RunAsync(appliance, "--json");
        Assert.Equal(0, jsonExit);
        using var report = JsonDocument.Parse(json);
        Assert.Equal("selftest-01", report.RootElement.GetProperty("deviceId").GetString());
        Assert.True(report.RootElement.GetProperty("passed").GetBoolean());
        var checks = report.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("outcome").GetString());
        Assert.All(checks.Values, outcome => Assert.Equal("pass", outcome));
        foreach (var expected in new[] { "bundle", "release keys", "certificate", "clock", "data folder", "bluetooth", "other services", "gpio chip", "gpio 17 capture button", "camera tool", "camera frame", "overview frame", $"broker 127.0.0.1:{appliance.Port}" })
        {
            Assert.Contains(expected, checks.Keys);
        }
    }

    [Fact]
    public async Task AfterTheHostRevokesTheAppliance_OrStops_TheBrokerRowFails_AndTheExitIs1()
    {
        using var folder = new TempFolder("selftest-refused");
        Appliance appliance;
        await using (var host = await EmbeddedSuite.StartHostAsync(folder.Path))
        {
            appliance = await EnrolAsync(host, folder, "selftest-02");
            host.Services.GetRequiredService<DeviceProvisioner>().Revoke("selftest-02", "stolen from the clinic");

            var (exit, table) = await RunAsync(appliance);
            Assert.True(exit == 1, table);
            Assert.Matches($@"(?m)^broker 127\.0\.0\.1:{appliance.Port} +FAIL +the broker refused this appliance's certificate", table);
            Assert.Matches(@"(?m)^certificate +pass", table);
            Assert.Contains("1 of ", table, StringComparison.Ordinal);
        }

        var (stoppedExit, stopped) = await RunAsync(appliance);
        Assert.True(stoppedExit == 1, stopped);
        Assert.Matches($@"(?m)^broker 127\.0\.0\.1:{appliance.Port} +FAIL +cannot connect: ", stopped);
    }

    [Fact]
    public async Task TheAdminsBundleSettings_OutrankTheShippedDefaults_AndTheAppliancesOwnSettingsOutrankThem()
    {
        using var folder = new TempFolder("selftest-settings");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        // The shipped appsettings.json says Real devices and the red LED on GPIO22; the admin's bundle says otherwise.
        var appliance = await EnrolAsync(host, folder, "selftest-03", new Dictionary<string, string> { ["Devices:Mode"] = "Simulated", ["Gpio:StatusRedPin"] = "5" });
        string[] settings = ["selftest", $"--Firmware:DataFolder={appliance.DataFolder}", $"--Integrity:SysRoot={appliance.EmptySys}"];

        var (exit, table) = await RunFirmwareAsync(settings);
        Assert.True(exit == 0, table);
        Assert.Matches(@"(?m)^gpio 5 status red +pass", table);
        Assert.Matches(@"(?m)^camera tool +pass +simulated camera", table);

        var (_, overridden) = await RunFirmwareAsync([.. settings, "--Gpio:StatusRedPin=6"]);
        Assert.Matches(@"(?m)^gpio 6 status red +pass", overridden);
    }

    private sealed record Appliance(string DataFolder, int Port, string EmptySys);

    private static async Task<Appliance> EnrolAsync(Microsoft.AspNetCore.Builder.WebApplication host, TempFolder folder, string deviceId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(deviceId, ProvisioningKind.New, "127.0.0.1", port, settings: settings);
        var package = folder.Combine($"{deviceId}.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = folder.Combine("appliance");
        var (exit, said) = await RunFirmwareAsync(["enrol", "--package", package, $"--Firmware:DataFolder={data}"], provisioned.EnrolmentCode);
        Assert.True(exit == 0, said);
        // A build machine may have a Bluetooth controller: the appliance's sysfs is an empty tree here.
        return new Appliance(data, port, Directory.CreateDirectory(folder.Combine("sys")).FullName);
    }

    private static Task<(int Exit, string Output)> RunAsync(Appliance appliance, params string[] extra) =>
        RunFirmwareAsync(["selftest", $"--Firmware:DataFolder={appliance.DataFolder}", "--Devices:Mode=Simulated", $"--Integrity:SysRoot={appliance.EmptySys}", .. extra]);

    private static Task<(int Exit, string Output)> RunFirmwareAsync(string[] args, string? enrolmentCode = null) =>
        Builds.RunFirmwareAsync(args, enrolmentCode is null ? null : new Dictionary<string, string> { ["APPLIANCE_ENROLMENT_CODE"] = enrolmentCode });
}
