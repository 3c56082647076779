using System.CommandLine;
using Appliance.Host.Core.Provisioning;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>appliance-host</c>: <c>serve</c> (the default) runs the host; <c>provision</c>, <c>rotate</c>
/// and <c>reprovision</c> write an appliance's enrolment package; <c>revoke</c> revokes an
/// appliance's certificates; <c>fleet</c> lists the appliances; <c>wipe</c> orders a remote wipe; <c>backup</c> and
/// <c>restore</c> (with verification) keep the data folder safe; <c>audit verify</c> checks the audit trail;
/// <c>broker-config</c> writes a mosquitto configuration for external broker mode. Configuration keys go after the command as <c>--Section:Key=value</c>.
/// Each family of commands is built in a file of its own; this only puts them together.
/// </summary>
public static class HostCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ApplianceSuite host: files dermoscopy series from appliances, runs their broker and CA.");
        var serve = ServeCommand.Create();
        root.Subcommands.Add(FleetCommands.Wipe());
        root.Subcommands.Add(FleetCommands.Fleet());
        root.Subcommands.Add(UserCommands.User());
        root.Subcommands.Add(FleetCommands.Export());
        root.Subcommands.Add(serve);
        root.Subcommands.Add(BrokerCommands.BrokerConfig());
        root.Subcommands.Add(FleetCommands.Provision("provision", ProvisioningKind.New, "Issue a device certificate and keys for a new appliance; write its enrolment package and show the one-time code."));
        root.Subcommands.Add(FleetCommands.Provision("rotate", ProvisioningKind.Rotate, "New certificate and keys for an appliance in service; its queued series are kept, and the old certificate is revoked once the new one connects."));
        root.Subcommands.Add(FleetCommands.Provision("reprovision", ProvisioningKind.Reprovision, "Credentials afresh for an appliance that was revoked or wiped (repaired, re-imaged, found again)."));
        root.Subcommands.Add(AuditCommands.Audit());
        root.Subcommands.Add(SchemaCommands.Migrate());
        root.Subcommands.Add(SecretsCommands.Secrets());
        root.Subcommands.Add(PacsCommands.Pacs());
        root.Subcommands.Add(FleetCommands.Revoke());
        root.Subcommands.Add(DataCommands.Backup());
        root.Subcommands.Add(DataCommands.Restore());
        root.Subcommands.Add(ReleaseCommands.Release());
        root.Subcommands.Add(RolloutCommands.Rollout());
        root.Subcommands.Add(RolloutCommands.Group());
        root.SetAction((parseResult, cancellationToken) => serve.Parse([.. parseResult.Tokens.Select(t => t.Value)]).InvokeAsync(cancellationToken: cancellationToken));
        root.TreatUnmatchedTokensAsErrors = false;
        return root;
    }
}
