using System.Diagnostics;
using Appliance.Demo;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

/// <summary>
/// The firmware built for the Pi's architecture, run under emulation as its own process against
/// an x64 host on loopback: its native parts (OpenSSL for mutual TLS, libsodium through NSec for
/// the bundle and its signatures, ICU, LiteDB's files) have to work on arm64 for any of this to.
/// </summary>
[Trait("Category", "Arm64")]
public sealed class Arm64FirmwareTests(Arm64Emulation arm64) : IClassFixture<Arm64Emulation>
{
    private const ushort AArch64 = 0xB7;

    // Emulated, the runtime's start and the TLS handshake take seconds, not milliseconds.
    private static readonly TimeSpan EmulatedWait = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheArm64Firmware_EnrolsWithThePackageAndCode_ConnectsOverMutualTls_AndReports()
    {
        Assert.Equal(AArch64, arm64.FirmwareMachine());
        using var folder = new TempFolder("arm64-firmware");
        await using var host = await EmbeddedSuite.StartHostAsync(folder.Path);
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        const string deviceId = "arm64-appliance-01";
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(deviceId, ProvisioningKind.New, "127.0.0.1", port);
        var package = folder.Combine($"{deviceId}.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = folder.Combine("appliance");
        string[] dataFolder = [$"--Firmware:DataFolder={data}"];

        using (var enrol = arm64.Start(["enrol", "--package", package, .. dataFolder], new Dictionary<string, string> { ["APPLIANCE_ENROLMENT_CODE"] = provisioned.EnrolmentCode }))
        {
            var said = enrol.StandardOutput.ReadToEndAsync();
            var complained = enrol.StandardError.ReadToEndAsync();
            await enrol.WaitForExitAsync().WaitAsync(EmulatedWait);
            Assert.True(enrol.ExitCode == 0, $"enrol exited {enrol.ExitCode}: {await said}\n{await complained}");
            Assert.Contains($"Enrolled {deviceId}", await said, StringComparison.Ordinal);
        }

        var fleet = host.Services.GetRequiredService<FleetState>();
        var reported = EmbeddedSuite.WaitFor<ApplianceStatus>(h => fleet.StatusReceived += h, h => fleet.StatusReceived -= h, s => s.DeviceId == deviceId && s.State != ApplianceState.Offline);
        using var firmware = arm64.Start(
        [
            .. dataFolder,
            "--Devices:Mode=Simulated",
            // A build machine may well have Bluetooth or a sync client: report, do not block.
            "--Integrity:WarnOnly=true",
        ]);
        var log = new Arm64Emulation.Transcript(firmware.StandardOutput);
        var errors = new Arm64Emulation.Transcript(firmware.StandardError);
        try
        {
            var exited = firmware.WaitForExitAsync();
            if (await Task.WhenAny(reported, exited).WaitAsync(EmulatedWait) == exited)
            {
                Assert.Fail($"the arm64 firmware exited {firmware.ExitCode} before it reported:\n{log}\n{errors}");
            }

            var status = await reported;

            Assert.Equal(ApplianceIdentityVersion(), status.FirmwareVersion);
            Assert.Contains(deviceId, await host.Services.GetRequiredService<EmbeddedMqttBroker>().ConnectedClientsAsync());
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the arm64 firmware did not report within {EmulatedWait}:\n{log}\n{errors}");
        }
        finally
        {
            await StopAsync(firmware);
        }

        Assert.DoesNotContain("fail:", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", log.ToString(), StringComparison.Ordinal);
    }

    private static string ApplianceIdentityVersion() => Appliance.Firmware.Core.ApplianceIdentity.CurrentFirmwareVersion;

    /// <summary>As systemd stops it: SIGTERM, and the time the unit allows.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await term.WaitForExitAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(EmulatedWait);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}
