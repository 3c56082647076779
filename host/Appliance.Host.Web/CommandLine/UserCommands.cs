using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Appliance.Host.Core.Users;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>user add | list | role | disable | enable | remove | reset-password | sign-out</c>: the people
/// who sign in to the host's pages. Every change is audited under the login name that ran it,
/// and every change a session relied on ends that user's sessions at once (a running host sees
/// it at their next request). Each takes <c>--json</c>.
/// </summary>
public static class UserCommands
{
    public static Command User() => new("user", "People who sign in to the host's pages.")
    {
        Add(),
        List(),
        Role(),
        Simple("disable", "Stop a user signing in; their sessions end now.", (users, name, actor) => users.Disable(name, actor)),
        Simple("enable", "Let a disabled or locked-out user sign in again.", (users, name, actor) => users.Enable(name, actor)),
        Remove(),
        ResetPassword(),
        Simple("sign-out", "End every session of a user, on every PC (a lost badge, a shared password).", (users, name, actor) => users.SignOutEverywhere(name, actor)),
    };

    private static Command Add()
    {
        var name = NameArgument();
        var role = new Option<string>("--role") { Description = "admin, dermatologist or clinic.", Required = true };
        var passwordFile = PasswordFile();
        var json = AdminCommand.JsonOption();
        var add = new Command("add", "Add a person who signs in to the host's pages (or replace their password and role, ending their sessions).") { name, role, passwordFile, json };
        return WithAction(add, json, async (users, parseResult, cancellationToken) =>
        {
            var password = await ReadPasswordAsync(parseResult.GetRequiredValue(passwordFile), cancellationToken);
            var user = users.Add(parseResult.GetRequiredValue(name), parseResult.GetRequiredValue(role), password, Environment.UserName);
            return (new { name = user.Name, role = user.Role }, $"User {user.Name} ({user.Role}) can sign in.");
        });
    }

    private static Command List()
    {
        var json = AdminCommand.JsonOption();
        var list = new Command("list", "Every user: role, whether they can sign in, locks, and sessions open now.") { json };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var users = app.Services.GetRequiredService<UserService>().List();
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(users, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"{"NAME",-24} {"ROLE",-14} {"STATE",-10} {"SESSIONS",8}  LOCKED UNTIL (UTC)");
            foreach (var u in users)
            {
                await Console.Out.WriteLineAsync(
                    $"{u.Name,-24} {u.Role,-14} {(u.Disabled ? "disabled" : "enabled"),-10} {u.ActiveSessions,8}  {u.LockedUntil?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-"}");
            }

            return 0;
        });
        return list;
    }

    private static Command Role()
    {
        var name = NameArgument();
        var role = new Option<string>("--role") { Description = "admin, dermatologist or clinic.", Required = true };
        var json = AdminCommand.JsonOption();
        var command = new Command("role", "Change a user's role; their sessions end, so the new role applies from their next sign-in.") { name, role, json };
        return WithAction(command, json, (users, parseResult, _) =>
        {
            var user = users.SetRole(parseResult.GetRequiredValue(name), parseResult.GetRequiredValue(role), Environment.UserName);
            return Task.FromResult<(object, string)>((new { name = user.Name, role = user.Role }, $"{user.Name} is now {user.Role}; their sessions ended."));
        });
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var json = AdminCommand.JsonOption();
        var command = new Command("remove", "Remove a user; their sessions end. The audit trail keeps what they did.") { name, json };
        return WithAction(command, json, (users, parseResult, _) =>
        {
            var removed = parseResult.GetRequiredValue(name);
            users.Remove(removed, Environment.UserName);
            return Task.FromResult<(object, string)>((new { name = removed, removed = true }, $"Removed {removed}."));
        });
    }

    private static Command ResetPassword()
    {
        var name = NameArgument();
        var passwordFile = PasswordFile();
        var json = AdminCommand.JsonOption();
        var command = new Command("reset-password", "Set a new password for a user (and clear a lock); their sessions end.") { name, passwordFile, json };
        return WithAction(command, json, async (users, parseResult, cancellationToken) =>
        {
            var password = await ReadPasswordAsync(parseResult.GetRequiredValue(passwordFile), cancellationToken);
            var user = users.ResetPassword(parseResult.GetRequiredValue(name), password, Environment.UserName);
            return (new { name = user.Name, passwordReset = true, sessionsEnded = true }, $"New password set for {user.Name}; their sessions ended.");
        });
    }

    private static Command Simple(string verb, string description, Func<UserService, string, string, HostUser> act)
    {
        var name = NameArgument();
        var json = AdminCommand.JsonOption();
        var command = new Command(verb, description) { name, json };
        return WithAction(command, json, (users, parseResult, _) =>
        {
            var user = act(users, parseResult.GetRequiredValue(name), Environment.UserName);
            return Task.FromResult<(object, string)>((
                new { name = user.Name, role = user.Role, disabled = user.Disabled, sessionsEnded = true },
                $"{user.Name}: {verb} done; their sessions ended."));
        });
    }

    /// <summary>Runs a user change in the host's services; a refusal (the last admin, a short password) is exit 2 with the reason.</summary>
    private static Command WithAction(Command command, Option<bool> json, Func<UserService, ParseResult, CancellationToken, Task<(object Json, string Text)>> act)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            try
            {
                var (result, text) = await act(app.Services.GetRequiredService<UserService>(), parseResult, cancellationToken);
                await Console.Out.WriteLineAsync(parseResult.GetValue(json) ? JsonSerializer.Serialize(result, AdminCommand.Json) : text);
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or UserChangeRefusedException)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }
        });
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The sign-in name: lower-case letters, digits, '.', '_' or '-'." };

    // A file that is not there is a parse error naming it (exit 1), before anything is opened.
    private static Option<FileInfo> PasswordFile() =>
        new Option<FileInfo>("--password-file") { Description = "A file holding the password (at least 12 characters), so it is never on a command line.", Required = true }.AcceptExistingOnly();

    private static async Task<string> ReadPasswordAsync(FileInfo file, CancellationToken cancellationToken) =>
        (await File.ReadAllTextAsync(file.FullName, cancellationToken)).TrimEnd('\r', '\n');
}
