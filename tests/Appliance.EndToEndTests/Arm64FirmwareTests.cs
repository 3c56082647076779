using System.Diagnostics;
using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Calibration;
using Appliance.Host.Core.Filing;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Jobs;
using Appliance.Host.Core.Orders;
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
[Collection(Arm64Emulation.Collection)]
public sealed class Arm64FirmwareTests(Arm64Emulation arm64) : IClassFixture<Arm64Emulation>
{
    private const ushort AArch64 = 0xB7;

    // Emulated, the runtime's start and the TLS handshake take seconds, not milliseconds.
    private static readonly TimeSpan EmulatedWait = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheArm64Firmware_Enrols_Calibrates_CapturesASeriesTheHostFiles_AndIsWipedRemotely()
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

        var statuses = System.Threading.Channels.Channel.CreateUnbounded<ApplianceStatus>();
        var fleet = host.Services.GetRequiredService<FleetState>();
        fleet.StatusReceived += (_, s) =>
        {
            if (s.DeviceId == deviceId)
            {
                statuses.Writer.TryWrite(s);
            }
        };
        using var firmware = arm64.Start(
        [
            .. dataFolder,
            "--Devices:Mode=Simulated",
            // A build machine may well have Bluetooth or a sync client: report, do not block.
            "--Integrity:WarnOnly=true",
            // The simulated camera renders each frame while its ring is lit, 15–20 times slower
            // emulated: the ring's on-time limit at its highest, or the capture is a fault.
            "--Capture:MaxRingOnTime=00:00:10",
        ]);
        var log = new Arm64Emulation.Transcript(firmware.StandardOutput);
        var errors = new Arm64Emulation.Transcript(firmware.StandardError);
        var exited = firmware.WaitForExitAsync();

        // Every wait is for the appliance's next report, or its exit, which fails the test with its log.
        async Task<ApplianceStatus> NextAsync(Func<ApplianceStatus, bool> wanted, string what)
        {
            using var timeout = new CancellationTokenSource(EmulatedWait);
            while (true)
            {
                var next = statuses.Reader.ReadAsync(timeout.Token).AsTask();
                if (await Task.WhenAny(next, exited) == exited)
                {
                    Assert.Fail($"the arm64 firmware exited {firmware.ExitCode} while {what}:\n{log}\n{errors}");
                }

                try
                {
                    if (await next is var status && wanted(status))
                    {
                        return status;
                    }
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"the arm64 firmware did not report within {EmulatedWait} while {what}:\n{log}\n{errors}");
                }
            }
        }

        try
        {
            var online = await NextAsync(s => s.State != ApplianceState.Offline, "coming online");
            Assert.Equal(Appliance.Firmware.Core.ApplianceIdentity.CurrentFirmwareVersion, online.FirmwareVersion);
            var socket = Arm64Emulation.ControlSocket.In(data);

            // Calibration as staff do it: started from the host, the white card and a press, the target and a press.
            var run = await host.Services.GetRequiredService<CalibrationRunService>().RequestAsync(deviceId, "arm64-test", CancellationToken.None);
            await NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrating, "waiting for the white card");
            await socket.SendAsync("white", "tap");
            await NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrating, "waiting for the target");
            await socket.SendAsync("target", "tap");
            await NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrated, "calibrating");

            // A capture job, a press on skin, the series filed on the host.
            await socket.SendAsync("skin");
            var filing = host.Services.GetRequiredService<SeriesFilingService>();
            var filed = EmbeddedSuite.WaitFor<FiledSeries>(h => filing.Filed += h, h => filing.Filed -= h, f => f.DeviceId == deviceId);
            var job = await host.Services.GetRequiredService<CaptureJobService>().CreateAsync(CaptureJobRequest.WithVerbalConsent(deviceId, "ARM64-PATIENT-1", "back", ConsentScope.DirectCare), "arm64-test", CancellationToken.None);
            await NextAsync(s => s.JobId == job.JobId && s.State == ApplianceState.Armed, "arming for the job");
            await socket.SendAsync("tap");
            var judged = await NextAsync(s => s.JobId == job.JobId && s.State is ApplianceState.Accepted or ApplianceState.Retake or ApplianceState.Refused or ApplianceState.Fault, "capturing");
            Assert.True(judged.State == ApplianceState.Accepted, $"the capture was {judged.State.Name()}: {judged.Reason}\n{log}");
            var series = await filed.WaitAsync(EmulatedWait);
            Assert.Equal(job.JobId, series.JobId);

            // The remote wipe, confirmed by the appliance's signed report.
            var orders = host.Services.GetRequiredService<DeviceOrderService>();
            orders.RequestWipe(deviceId, "arm64-test");
            var ledger = host.Services.GetRequiredService<IDeviceOrderLedger>();
            await Poll.UntilAsync(() => ledger.FindWipe(deviceId) is { State: WipeState.Confirmed }, "the arm64 appliance's wipe is confirmed", EmulatedWait);
        }
        finally
        {
            await StopAsync(firmware);
        }

        Assert.DoesNotContain("crit:", log.ToString(), StringComparison.Ordinal);
    }

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
