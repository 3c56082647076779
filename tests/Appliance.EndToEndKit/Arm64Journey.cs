using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
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
using Microsoft.Extensions.Logging;

namespace Appliance.EndToEndKit;

/// <summary>How far the arm64 appliance got, filled in as it goes, so a failure still reports what worked.</summary>
public sealed class Arm64JourneyReport
{
    public bool Enrolled { get; set; }

    public bool SelfTestPassed { get; set; }

    /// <summary>Process start to its first status on the host: the runtime's start, the store, mutual TLS.</summary>
    public TimeSpan? StartToConnected { get; set; }

    public bool Calibrated { get; set; }

    /// <summary>Series the host filed from the arm64 process.</summary>
    public int SeriesFiled { get; set; }

    /// <summary>Filed series the appliance then deleted on the host's signed receipt (its own log says so).</summary>
    public int SeriesDeleted { get; set; }

    public bool WipeConfirmed { get; set; }

    /// <summary>What the appliance's signed wipe report says it destroyed unsent: 0 when everything was filed first.</summary>
    public int? UnsentSeriesLostAtWipe { get; set; }

    public string FirmwareVersion { get; set; } = string.Empty;
}

/// <summary>
/// The appliance's whole life on the Pi's architecture, against an x64 host on loopback: the
/// arm64 firmware enrols with the provisioned package and code, passes its self-test, starts and
/// connects over mutual TLS, is calibrated (white card, target) and pressed for each capture job
/// through its control socket as a person would, each series is filed and then deleted on the
/// appliance, and a remote wipe is confirmed by its signed report. Every wait is for the
/// appliance's next report or log line, or its exit, which ends the journey with its log.
/// </summary>
public static class Arm64Journey
{
    // Emulated, the runtime's start and the TLS handshake take seconds, not milliseconds.
    private static readonly TimeSpan EmulatedWait = TimeSpan.FromMinutes(3);

    public static async Task<Arm64JourneyReport> RunAsync(Arm64Firmware arm64, string workFolder, int captures, Arm64JourneyReport report)
    {
        await using var host = await EmbeddedSuite.StartHostAsync(workFolder, LogLevel.Error);
        var port = host.Services.GetRequiredService<EmbeddedMqttBroker>().BoundPort;
        const string deviceId = "arm64-appliance-01";
        var provisioned = host.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(deviceId, ProvisioningKind.New, "127.0.0.1", port);
        var package = Path.Combine(workFolder, $"{deviceId}.enrol.json");
        DeviceProvisioner.WritePackage(provisioned.Package, package);
        var data = Path.Combine(workFolder, "appliance");
        // A build machine may have Bluetooth or a sync client: the appliance's sysfs is an empty tree, and its checks report without blocking.
        var sys = Directory.CreateDirectory(Path.Combine(workFolder, "sys")).FullName;
        string[] settings = [$"--Firmware:DataFolder={data}", "--Devices:Mode=Simulated", $"--Integrity:SysRoot={sys}"];

        var enrol = await RunToExitAsync(arm64, ["enrol", "--package", package, settings[0]], new Dictionary<string, string> { ["APPLIANCE_ENROLMENT_CODE"] = provisioned.EnrolmentCode });
        report.Enrolled = enrol.ExitCode == 0 && enrol.Output.Contains($"Enrolled {deviceId}", StringComparison.Ordinal);
        Require(report.Enrolled, $"enrol exited {enrol.ExitCode}: {enrol.Output}\n{enrol.Error}");

        // The simulated camera renders each frame while its ring is lit, 15–20 times slower emulated: the limit at its highest.
        var selftest = await RunToExitAsync(arm64, ["selftest", "--json", .. settings, "--Capture:MaxRingOnTime=00:00:10"]);
        report.SelfTestPassed = selftest.ExitCode == 0 && JsonDocument.Parse(selftest.Output).RootElement.GetProperty("passed").GetBoolean();
        Require(report.SelfTestPassed, $"selftest exited {selftest.ExitCode}: {selftest.Output}\n{selftest.Error}");

        var statuses = Channel.CreateUnbounded<ApplianceStatus>();
        host.Services.GetRequiredService<FleetState>().StatusReceived += (_, s) =>
        {
            if (s.DeviceId == deviceId)
            {
                statuses.Writer.TryWrite(s);
            }
        };
        var started = Stopwatch.StartNew();
        using var firmware = arm64.Start([.. settings, "--Integrity:WarnOnly=true", "--Capture:MaxRingOnTime=00:00:10"]);
        var log = new Arm64Firmware.Transcript(firmware.StandardOutput);
        var errors = new Arm64Firmware.Transcript(firmware.StandardError);
        var exited = firmware.WaitForExitAsync();
        var appliance = new Watched(statuses.Reader, exited, firmware, log, errors);
        try
        {
            var online = await appliance.NextAsync(s => s.State != ApplianceState.Offline, "coming online");
            report.StartToConnected = started.Elapsed;
            report.FirmwareVersion = online.FirmwareVersion;
            var socket = Arm64Firmware.ControlSocket.In(data);

            // Calibration as staff do it: started from the host, the white card and a press, the target and a press.
            var run = await host.Services.GetRequiredService<CalibrationRunService>().RequestAsync(deviceId, "arm64-journey", CancellationToken.None);
            await appliance.NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrating, "waiting for the white card");
            await socket.SendAsync("white", "tap");
            await appliance.NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrating, "waiting for the target");
            await socket.SendAsync("target", "tap");
            await appliance.NextAsync(s => s.CalibrationRunId == run.RunId && s.State == ApplianceState.Calibrated, "calibrating");
            report.Calibrated = true;

            await socket.SendAsync("skin");
            var filing = host.Services.GetRequiredService<SeriesFilingService>();
            var jobs = host.Services.GetRequiredService<CaptureJobService>();
            for (var i = 1; i <= captures; i++)
            {
                // A capture job, a press on skin, the series filed on the host and deleted on the appliance.
                var filed = EmbeddedSuite.WaitFor<FiledSeries>(h => filing.Filed += h, h => filing.Filed -= h, f => f.DeviceId == deviceId);
                var job = await jobs.CreateAsync(CaptureJobRequest.WithVerbalConsent(deviceId, $"ARM64-PATIENT-{i}", "back", ConsentScope.DirectCare), "arm64-journey", CancellationToken.None);
                await appliance.NextAsync(s => s.JobId == job.JobId && s.State == ApplianceState.Armed, $"arming for job {i}");
                await socket.SendAsync("tap");
                var judged = await appliance.NextAsync(s => s.JobId == job.JobId && s.State is ApplianceState.Accepted or ApplianceState.Retake or ApplianceState.Refused or ApplianceState.Fault, $"capturing for job {i}");
                Require(judged.State == ApplianceState.Accepted, $"capture {i} was {judged.State.Name()}: {judged.Reason}\n{log}");
                var series = await filed.WaitAsync(EmulatedWait);
                Require(series.JobId == job.JobId, $"the host filed a series of job {series.JobId}, not {job.JobId}");
                report.SeriesFiled++;
                await appliance.LogLineAsync($"Series {series.SeriesId} filed by the host as", $"deleting series {i} on the host's receipt");
                report.SeriesDeleted++;
            }

            // The remote wipe, confirmed by the appliance's signed report.
            host.Services.GetRequiredService<DeviceOrderService>().RequestWipe(deviceId, "arm64-journey");
            var ledger = host.Services.GetRequiredService<IDeviceOrderLedger>();
            await Poll.UntilAsync(() => ledger.FindWipe(deviceId) is { State: WipeState.Confirmed }, "the arm64 appliance's wipe is confirmed", EmulatedWait);
            report.WipeConfirmed = true;
            report.UnsentSeriesLostAtWipe = ledger.FindWipe(deviceId)!.UnsentSeriesLost;
        }
        finally
        {
            await StopAsync(firmware);
        }

        Require(!log.ToString().Contains("crit:", StringComparison.Ordinal), $"the arm64 firmware logged a critical error:\n{log}");
        return report;
    }

    private static void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunToExitAsync(Arm64Firmware arm64, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = arm64.Start(arguments, environment);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(EmulatedWait);
        return (process.ExitCode, await output, await error);
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

    /// <summary>The running appliance's reports and log, each wait ended early by its exit.</summary>
    private sealed class Watched(ChannelReader<ApplianceStatus> statuses, Task exited, Process firmware, Arm64Firmware.Transcript log, Arm64Firmware.Transcript errors)
    {
        public async Task<ApplianceStatus> NextAsync(Func<ApplianceStatus, bool> wanted, string what)
        {
            using var timeout = new CancellationTokenSource(EmulatedWait);
            while (true)
            {
                var next = statuses.ReadAsync(timeout.Token).AsTask();
                if (await Task.WhenAny(next, exited) == exited)
                {
                    throw Failure($"exited {firmware.ExitCode} while {what}");
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
                    throw Failure($"did not report within {EmulatedWait} while {what}");
                }
            }
        }

        public async Task LogLineAsync(string starting, string what)
        {
            var line = log.LineAsync(l => l.Contains(starting, StringComparison.Ordinal));
            var first = await Task.WhenAny(line, exited, Task.Delay(EmulatedWait));
            if (first != line)
            {
                throw Failure(first == exited ? $"exited {firmware.ExitCode} while {what}" : $"did not log it within {EmulatedWait} while {what}");
            }
        }

        private InvalidOperationException Failure(string what) => new($"the arm64 firmware {what}:\n{log}\n{errors}");
    }
}
