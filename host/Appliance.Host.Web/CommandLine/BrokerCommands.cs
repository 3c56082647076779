using System.CommandLine;
using Appliance.Host.Infrastructure.Messaging;

namespace Appliance.Host.Web.CommandLine;

/// <summary><c>broker-config</c>: writes a mosquitto configuration for external broker mode.</summary>
public static class BrokerCommands
{
    /// <summary>The broker-config command; run it again after provision or revoke.</summary>
    public static Command BrokerConfig()
    {
        var configOut = new Option<DirectoryInfo>("--out") { Description = "Folder for mosquitto.conf, the ACL, certificates and revocation list (owner-only).", Required = true };
        var brokerUser = new Option<string>("--broker-user") { Description = "The user mosquitto runs as (it must own --out). Default: mosquitto", DefaultValueFactory = _ => "mosquitto" };
        var configJson = AdminCommand.JsonOption();
        var brokerConfig = new Command("broker-config", "Write a mosquitto configuration for external broker mode: TLS with client certificates, an ACL from the fleet, the revocation list. Run again after provision or revoke.")
        {
            configOut,
            brokerUser,
            configJson,
        };
        brokerConfig.TreatUnmatchedTokensAsErrors = false;
        brokerConfig.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var user = parseResult.GetRequiredValue(brokerUser);
            var folder = parseResult.GetRequiredValue(configOut).FullName;
            var path = app.Services.GetRequiredService<MosquittoConfiguration>().Write(folder, brokerUser: user);
            if (parseResult.GetValue(configJson))
            {
                await Console.Out.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new { configuration = path, folder, brokerUser = user }, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"Wrote {path} and its ACL, certificates and revocation list (owner-only).");
            await Console.Out.WriteLineAsync($"Then: chown {user}: {Path.Combine(folder, "server.key")} && chown -R {user}: {Path.Combine(folder, "data")} && mosquitto -c {path}");
            await Console.Out.WriteLineAsync($"and serve with --Broker:MosquittoConfigFolder={folder} --Broker:MosquittoReloadCommand=\"systemctl reload mosquitto\": the host then keeps the revocation list and ACL current itself.");
            return 0;
        });

        return brokerConfig;
    }
}
