namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// The secrets folder lacks what this instance needs: not a crash, a step for the operator
/// (export the secrets again, naming this instance), said at start before anything runs.
/// </summary>
public sealed class MissingSecretException(string message) : Exception(message)
{
    public MissingSecretException()
        : this("a shared secret is missing")
    {
    }

    public MissingSecretException(string message, Exception innerException)
        : this(message + ": " + innerException?.Message)
    {
    }

    public static MissingSecretException For(HostDataOptions options, params string[] parts) =>
        new($"The secrets folder {options.SecretsFolder} has no {string.Join('/', parts)}. Make the folder with `appliance-host secrets export <folder> --instance <id>...` "
            + "on the first instance, naming every instance's Transfers:InstanceId (docs/operations.md, \"Host instances on several machines\").");
}
