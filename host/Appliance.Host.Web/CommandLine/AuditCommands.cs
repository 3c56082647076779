using System.CommandLine;
using Appliance.Host.Core.Audit;

namespace Appliance.Host.Web.CommandLine;

/// <summary><c>audit verify</c>: checks the audit trail's hash chain and its head.</summary>
public static class AuditCommands
{
    /// <summary>The audit command and its verify subcommand.</summary>
    public static Command Audit()
    {
        var verifyJson = AdminCommand.JsonOption();
        var verify = new Command("verify", "Check the audit trail's hash chain and its head: exit 0 if intact, 1 with the first broken entry.")
        {
            verifyJson,
        };
        verify.TreatUnmatchedTokensAsErrors = false;
        verify.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var trail = app.Services.GetRequiredService<IAuditTrail>();
            AuditVerification result;
            try
            {
                result = AuditVerifier.Verify(trail.ReadAll(), trail.ReadHead());
            }
            catch (InvalidDataException ex)
            {
                result = new AuditVerification(false, 0, null, ex.Message);
            }

            await Console.Out.WriteLineAsync(parseResult.GetValue(verifyJson)
                ? System.Text.Json.JsonSerializer.Serialize(new { intact = result.Intact, entries = result.Entries, brokenAt = result.BrokenAt, reason = result.Reason }, AdminCommand.Json)
                : result.Intact
                    ? $"Audit trail intact: {result.Entries} entries."
                    : $"Audit trail BROKEN at entry {result.BrokenAt}: {result.Reason}");
            return result.Intact ? 0 : 1;
        });
        var audit = new Command("audit", "The host's append-only, hash-chained audit trail.") { verify };

        return audit;
    }
}
