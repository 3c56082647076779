using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Firmware.Core;
using Appliance.Firmware.Devices;
using Appliance.Firmware.Devices.Integrity;
using Appliance.Firmware.Storage;
using Appliance.Firmware.Storage.Enrolment;
using Appliance.Firmware.Uplink;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Firmware.Commands;

/// <summary>
/// <c>selftest [--json]</c>: everything an installer needs to know before leaving the appliance
/// in a clinic, each as a row: the bundle and its certificate, the clock, the data folder, the
/// operating-system checks, the GPIO chip and every pin, the PWM channels, the camera tool and a
/// test frame, and a TLS handshake with each broker. Exit 0 when every row passes, 1 when one
/// fails. It changes nothing (the data folder is checked, not tightened) and stores no frame.
/// </summary>
public sealed class SelfTestCommand(TextWriter output, TimeProvider time)
{
    public const string Name = "selftest";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var json = args.Contains("--json");
        // The installed appliance's settings wherever the admin runs it from (the unit runs from /opt/appliance).
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args.Where(a => a != "--json").ToArray(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The table is the output: nothing the parts log may land in it.
        builder.Logging.ClearProviders();
        var paths = FirmwarePaths.From(builder.Configuration);
        FirmwareRegistration.AddBundleSettings(builder.Configuration, paths.BundlePath);
        builder.Configuration.AddInMemoryCollection([new($"{DevicesOptions.Section}:{nameof(DevicesOptions.ManualControls)}", "false")]);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<FrameBufferPool>();
        builder.Services.AddOptions<CaptureOptions>().Bind(builder.Configuration.GetSection(CaptureOptions.Section));
        builder.AddApplianceDevices();
        using var host = builder.Build();

        var rows = new List<SelfTestResult>();
        var credentials = Bundle(paths.BundlePath, Updates.UpdateOptions.From(builder.Configuration).Root, rows);
        var integrity = new IntegrityOptions();
        builder.Configuration.GetSection(IntegrityOptions.Section).Bind(integrity);
        rows.AddRange(new OsIntegrityChecks(integrity, paths.DataFolder).SelfTest(time.GetUtcNow()));
        rows.AddRange(await DevicesAsync(host.Services, cancellationToken));
        rows.AddRange(credentials is null
            ? [SelfTestResult.Skip("broker", "no valid bundle")]
            : await new BrokerSelfTest(credentials, time).RunAsync(cancellationToken));

        var passed = rows.TrueForAll(r => r.Outcome != SelfTestOutcome.Fail);
        if (json)
        {
            var deviceId = credentials?.DeviceId;
            output.WriteLine(JsonSerializer.Serialize(new { deviceId, passed, checks = rows }, Json));
        }
        else
        {
            WriteTable(rows, credentials?.DeviceId);
        }

        return passed ? 0 : 1;
    }

    /// <summary>The bundle's row, and the link's credentials when it is good.</summary>
    private static UplinkCredentials? Bundle(string bundlePath, string releaseRoot, List<SelfTestResult> rows)
    {
        try
        {
            var bundle = ProvisioningBundleLoader.Load(bundlePath);
            var credentials = UplinkCredentials.FromBundle(bundle);
            rows.Add(SelfTestResult.Pass("bundle", $"{bundle.DeviceId}, {bundlePath}"));
            // The bundle's keys, carried forward by the rotations accepted over the link.
            var keys = new Updates.ReleaseKeyRing(bundle.ReleaseAnchors(), releaseRoot).Current;
            rows.Add(keys.Keys.Count > 0
                ? SelfTestResult.Pass("release keys", $"firmware releases trusted from {string.Join(", ", keys.KeyIds)} (key set {keys.Sequence})")
                : SelfTestResult.Skip("release keys", "none in the bundle: the host trusted no release key when it provisioned this appliance (appliance-host release trust)"));
            return credentials;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            rows.Add(SelfTestResult.Fail("bundle", ex.Message));
            rows.Add(SelfTestResult.Skip("release keys", "no valid bundle"));
            rows.Add(SelfTestResult.Skip("certificate", "no valid bundle"));
            return null;
        }
    }

    private static async Task<IReadOnlyList<SelfTestResult>> DevicesAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        DeviceSelfTest devices;
        try
        {
            devices = services.GetRequiredService<DeviceSelfTest>();
        }
        catch (OptionsValidationException ex)
        {
            return [SelfTestResult.Fail("device settings", string.Join(" ", ex.Failures))];
        }

        return await devices.RunAsync(cancellationToken);
    }

    private void WriteTable(List<SelfTestResult> rows, string? deviceId)
    {
        output.WriteLine($"Appliance self-test{(deviceId is null ? string.Empty : " of " + deviceId)}, {time.GetUtcNow():yyyy-MM-dd HH:mm} UTC");
        var width = Math.Max("CHECK".Length, rows.Max(r => r.Check.Length));
        output.WriteLine($"{"CHECK".PadRight(width)}  RESULT   DETAIL");
        foreach (var row in rows)
        {
            var outcome = row.Outcome switch
            {
                SelfTestOutcome.Pass => "pass",
                SelfTestOutcome.Fail => "FAIL",
                _ => "skipped",
            };
            output.WriteLine($"{row.Check.PadRight(width)}  {outcome,-7}  {row.Detail}");
        }

        var failed = rows.Count(r => r.Outcome == SelfTestOutcome.Fail);
        var skipped = rows.Count(r => r.Outcome == SelfTestOutcome.Skipped);
        output.WriteLine(failed > 0 ? $"{failed} of {rows.Count} checks failed: fix them and run `appliance-firmware selftest` again."
            : skipped > 0 ? $"{rows.Count - skipped} checks passed, {skipped} skipped (above), none failed."
            : $"All {rows.Count} checks passed.");
    }
}
