using System.CommandLine;

namespace Appliance.Host.Web.CommandLine;

/// <summary><c>serve</c> (the default): runs the host: pages, embedded broker, filing.</summary>
public static class ServeCommand
{
    /// <summary>The serve command; a setting the host refuses to run with is printed, not thrown.</summary>
    public static Command Create()
    {
        var serve = new Command("serve", "Run the host: pages, embedded MQTT broker over mutual TLS, filing.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = HostWebApplication.Create([.. parseResult.UnmatchedTokens]);
            try
            {
                await app.RunAsync(cancellationToken);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                // A setting the host refuses to run with (plain HTTP pages, say): the reason, not a stack trace.
                foreach (var failure in ex.Failures)
                {
                    await Console.Error.WriteLineAsync(failure);
                }

                return 2;
            }

            return 0;
        });

        return serve;
    }
}
