using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Appliance.Host.Core.Fleet;
using Appliance.Host.Core.Orders;
using Appliance.Host.Core.Provisioning;
using Appliance.Host.Infrastructure.Messaging;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// The admin's fleet commands: <c>provision</c>, <c>rotate</c> and <c>reprovision</c> write
/// enrolment packages, <c>fleet</c> lists the appliances, <c>wipe</c> orders a remote wipe,
/// <c>revoke</c> revokes an appliance's certificates.
/// Every one takes <c>--json</c> for scripts.
/// </summary>
public static class FleetCommands
{
    public static Command Provision(string name, ProvisioningKind kind, string description)
    {
        var deviceId = new Argument<string>("device-id") { Description = "The appliance's id: lower-case letters, digits and '-'; also its certificate CN." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the enrolment package (owner-only). Default: <device-id>.enrol.json" };
        var settingsFile = new Option<FileInfo>("--settings") { Description = "A JSON object of configuration for this appliance, e.g. {\"Gpio:CrossPolarisedRingPin\": \"12\", \"Lease:Duration\": \"7.00:00:00\"}" }.AcceptExistingOnly();
        var json = AdminCommand.JsonOption();
        var command = new Command(name, description) { deviceId, output, settingsFile, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var id = parseResult.GetRequiredValue(deviceId);
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var broker = app.Services.GetRequiredService<AdvertisedBroker>();
            ProvisioningResult result;
            try
            {
                var settings = parseResult.GetValue(settingsFile) is { } file
                    ? JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllBytesAsync(file.FullName, cancellationToken)) ?? []
                    : null;
                result = app.Services.GetRequiredService<DeviceProvisioner>().ProvisionForEnrolment(id, kind, broker.Host, broker.Port, broker.Alternates, settings);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            var path = parseResult.GetValue(output)?.FullName ?? Path.GetFullPath($"{id}.enrol.json");
            DeviceProvisioner.WritePackage(result.Package, path);
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(
                    new { deviceId = id, kind = kind.ToString().ToLowerInvariant(), package = path, enrolmentId = result.Package.EnrolmentId, enrolmentCode = result.EnrolmentCode },
                    AdminCommand.Json));
            }
            else
            {
                await Console.Out.WriteLineAsync($"{kind} {id}: enrolment package written to {path}.");
                await Console.Out.WriteLineAsync($"Enrolment code (shown once, not stored): {result.EnrolmentCode}");
                await Console.Out.WriteLineAsync($"On the appliance: appliance-firmware enrol --package {Path.GetFileName(path)}   (or ./deploy-pi.sh --package {Path.GetFileName(path)} ...)");
            }

            return 0;
        });
        return command;
    }

    public static Command Export()
    {
        var seriesId = new Argument<string>("series-id") { Description = "The filed series to export." };
        var format = new Option<Core.Exports.ExportFormat>("--format") { Description = "Dicom (Dermoscopic Photography, one instance per frame), Png (original and calibrated, with a JSON sidecar) or Fhir (an R4 bundle: Patient, a Media per frame, Consent).", DefaultValueFactory = _ => Core.Exports.ExportFormat.Dicom };
        var purpose = new Option<Core.Exports.ExportPurpose>("--purpose") { Description = "DirectCare, or Teaching (needs the patient's consent to teaching; the patient identifier is left out).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write into.", Required = true };
        var json = AdminCommand.JsonOption();
        var export = new Command("export", "Export a filed series as DICOM or PNG with a JSON sidecar; audited.") { seriesId, format, purpose, output, json };
        export.TreatUnmatchedTokensAsErrors = false;
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            IReadOnlyList<string> files;
            try
            {
                files = await app.Services.GetRequiredService<Core.Exports.SeriesExporter>().ExportAsync(
                    parseResult.GetRequiredValue(seriesId), parseResult.GetValue(format), parseResult.GetRequiredValue(purpose),
                    parseResult.GetRequiredValue(output).FullName, Environment.UserName, cancellationToken);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            await Console.Out.WriteLineAsync(parseResult.GetValue(json) ? JsonSerializer.Serialize(new { files }, AdminCommand.Json) : string.Join(Environment.NewLine, files));
            return 0;
        });
        return export;
    }

    public static Command Fleet()
    {
        var json = AdminCommand.JsonOption();
        var fleet = new Command("fleet", "List every appliance provisioned here: online, last seen, firmware, target firmware and update state, queue, checks, revocation and pending commands.") { json };
        fleet.TreatUnmatchedTokensAsErrors = false;
        fleet.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var entries = app.Services.GetRequiredService<FleetView>().List();
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(entries, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"{"APPLIANCE",-24} {"ONLINE",-6} {"STATE",-12} {"LAST SEEN (UTC)",-20} {"FIRMWARE",-10} {"TARGET",-10} {"UPDATE",-12} {"SUPPORT",-28} {"QUEUE",5}  PENDING");
            foreach (var e in entries)
            {
                var seen = e.LastSeen?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
                var state = e.Revoked && e.State != "wiped" ? "revoked" : e.State;
                await Console.Out.WriteLineAsync(
                    $"{e.DeviceId,-24} {(e.Online ? "yes" : "no"),-6} {state,-12} {seen,-20} {e.FirmwareVersion ?? "-",-10} {e.Update?.TargetVersion ?? "-",-10} {e.Update?.State ?? "-",-12} {e.Support?.Describe() ?? "-",-28} {e.QueueDepth?.ToString(CultureInfo.InvariantCulture) ?? "-",5}  {string.Join(", ", e.PendingCommands)}");
            }

            return 0;
        });
        return fleet;
    }

    public static Command Wipe()
    {
        var deviceId = new Argument<string>("device-id") { Description = "The appliance to wipe." };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the appliance's signed confirmation (0: do not wait). Exit 3 if it has not confirmed by then." };
        var requestedBy = new Option<string>("--requested-by") { Description = "Who asks (audit trail). Default: the login name.", DefaultValueFactory = _ => Environment.UserName };
        var json = AdminCommand.JsonOption();
        var wipe = new Command(
            "wipe",
            "Order a remote wipe: signed by the host, bound to this appliance and its key, sent now if it is online or the moment it reconnects. Once it confirms, its certificates are revoked.")
        {
            deviceId,
            wait,
            requestedBy,
            json,
        };
        wipe.TreatUnmatchedTokensAsErrors = false;
        wipe.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var orders = app.Services.GetRequiredService<DeviceOrderService>();
            var ledger = app.Services.GetRequiredService<IDeviceOrderLedger>();
            WipeRecord record;
            try
            {
                record = orders.RequestWipe(parseResult.GetRequiredValue(deviceId), parseResult.GetRequiredValue(requestedBy));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            // The running host sends it (it watches the ledger); this process only waits for the outcome.
            var time = app.Services.GetRequiredService<TimeProvider>();
            var deadline = time.GetUtcNow().AddSeconds(parseResult.GetValue(wait));
            while (record.State != WipeState.Confirmed && time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
                record = ledger.FindWipe(record.DeviceId) ?? record;
            }

            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(record, AdminCommand.Json));
            }
            else
            {
                await Console.Out.WriteLineAsync(record.State switch
                {
                    WipeState.Confirmed => $"{record.DeviceId} wiped (order {record.OrderId}): {record.UnsentSeriesLost} unsent series lost, {record.CertificatesRevoked} certificates revoked.",
                    WipeState.Delivered => $"{record.DeviceId} received the wipe order {record.OrderId} and is wiping; no confirmation yet.",
                    _ => $"Wipe of {record.DeviceId} issued (order {record.OrderId}); the host sends it now if the appliance is online, or when it reconnects.",
                });
            }

            return parseResult.GetValue(wait) > 0 && record.State != WipeState.Confirmed ? 3 : 0;
        });
        return wipe;
    }

    /// <summary>Revokes every certificate issued to an appliance: the broker refuses it from its next connection.</summary>
    public static Command Revoke()
    {
        var revokedId = new Argument<string>("device-id") { Description = "The appliance whose certificates to revoke." };
        var reasonOption = new Option<string>("--reason") { Description = "Why (stolen, retired, …); goes into the audit trail.", Required = true };
        var revokeJson = AdminCommand.JsonOption();
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
                ? System.Text.Json.JsonSerializer.Serialize(new { deviceId = id, certificatesRevoked = count }, AdminCommand.Json)
                : $"Revoked {count} certificates of {id}. Re-provision it to give it new ones.");
            return 0;
        });

        return revoke;
    }
}
