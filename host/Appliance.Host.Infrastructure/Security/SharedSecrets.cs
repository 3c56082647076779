using Appliance.Host.Core.Transfers;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// What host instances on several machines share through the secrets folder
/// (<see cref="HostDataOptions.SecretsFolder"/>): the CA, the broker's server certificate, the
/// host client certificates, and the archive, sealing, signing and session keys.
/// </summary>
public static class SharedSecrets
{
    /// <summary>Every file, relative to the secrets folder (or a data folder), but each further instance's client certificate.</summary>
    public static IReadOnlyList<string[]> Files { get; } =
    [
        ["ca", "ca.pfx"], ["ca", "ca.pem"], ["ca", "server.pfx"], ["ca", "host-client.pfx"],
        ["keys", "archive.key"], ["keys", "sealing.key"], ["keys", "signing.key"], ["keys", "session-keys.key"],
    ];

    /// <summary>The client certificate of the instance named <paramref name="instanceId"/> (the default instance's is in <see cref="Files"/>).</summary>
    public static string[] InstanceCertificate(string instanceId) => ["ca", $"host-client.{instanceId}.pfx"];

    /// <summary>
    /// With a secrets folder, checks at start that everything this instance reads from it is
    /// there, so a missing file is one clear step for the operator before anything runs, not a
    /// failure when the first appliance connects or the first series is filed.
    /// </summary>
    public static void EnsureComplete(HostDataOptions options, TransferOptions transfers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transfers);
        if (!options.SharesSecrets)
        {
            return;
        }

        IEnumerable<string[]> needed = transfers.InstanceId == new TransferOptions().InstanceId ? Files : [.. Files, InstanceCertificate(transfers.InstanceId)];
        if (needed.FirstOrDefault(parts => !File.Exists(options.Secret(parts))) is { } missing)
        {
            throw MissingSecretException.For(options, missing);
        }
    }
}
