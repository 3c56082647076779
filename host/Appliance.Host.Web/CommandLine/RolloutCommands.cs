using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Appliance.Host.Core.Rollouts;

namespace Appliance.Host.Web.CommandLine;

/// <summary>
/// <c>rollout start | pause | resume | cancel | list | show</c> and <c>group</c>: staged firmware
/// rollouts. They change the rollout's record in the data folder; the running host (<c>serve</c>)
/// acts on it within its dispatch interval.
/// </summary>
public static class RolloutCommands
{
    public static Command Rollout()
    {
        var rollout = new Command("rollout", "Staged firmware rollouts: an imported release to groups of appliances, wave by wave, halted by itself when a wave fails.");
        rollout.Subcommands.Add(Start());
        rollout.Subcommands.Add(Change("pause", "Stop sending orders and chunks; what is installed stays.", (c, id) => c.Pause(id, Environment.UserName)));
        rollout.Subcommands.Add(Change("resume", "Carry on a paused or halted rollout (failures seen so far no longer count towards a halt).", (c, id) => c.Resume(id, Environment.UserName)));
        rollout.Subcommands.Add(Change("cancel", "End the rollout for good: no more orders or chunks. Appliances already updated keep the release.", (c, id) => c.Cancel(id, Environment.UserName)));
        rollout.Subcommands.Add(List());
        rollout.Subcommands.Add(Show());
        return rollout;
    }

    public static Command Group()
    {
        var deviceId = new Argument<string>("device-id") { Description = "The appliance." };
        var group = new Argument<string?>("group") { Description = "Its group (canary, clinic-a); leave out to remove it from its group.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("group", "Put an appliance in a group: rollouts are staged by group.") { deviceId, group };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            try
            {
                var name = parseResult.GetValue(group);
                app.Services.GetRequiredService<RolloutControl>().SetGroup(parseResult.GetRequiredValue(deviceId), name, Environment.UserName);
                await Console.Out.WriteLineAsync(name is null ? $"{parseResult.GetValue(deviceId)} is in no group." : $"{parseResult.GetValue(deviceId)} is in group {name}.");
                return 0;
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }
        });
        return command;
    }

    private static Command Start()
    {
        var version = new Option<string>("--version") { Description = "An imported release (release list).", Required = true };
        var architecture = new Option<string>("--arch") { Description = "Its architecture.", DefaultValueFactory = _ => "linux-arm64" };
        var groups = new Option<string[]>("--group") { Description = "A group to update (repeat, in the order to update them; each is a wave). None: every enrolled appliance.", AllowMultipleArgumentsPerToken = true };
        var percentage = new Option<int>("--percent") { Description = "Update only this share of the chosen appliances (1-100).", DefaultValueFactory = _ => 100 };
        var waveSize = new Option<int?>("--wave-size") { Description = "Appliances per wave, instead of a group per wave." };
        var haltAbove = new Option<double>("--halt-above") { Description = "Halt when more than this share of a wave refuses or rolls back the release (0-1).", DefaultValueFactory = _ => 0.2 };
        var json = AdminCommand.JsonOption();
        var command = new Command("start", "Start rolling out a release.") { version, architecture, groups, percentage, waveSize, haltAbove, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            try
            {
                var started = app.Services.GetRequiredService<RolloutControl>().Start(
                    new RolloutRequest(parseResult.GetRequiredValue(version), parseResult.GetValue(architecture)!, parseResult.GetValue(groups) ?? [], parseResult.GetValue(percentage), parseResult.GetValue(waveSize), parseResult.GetValue(haltAbove)),
                    Environment.UserName);
                await Console.Out.WriteLineAsync(parseResult.GetValue(json)
                    ? JsonSerializer.Serialize(started, AdminCommand.Json)
                    : $"Rollout {started.RolloutId}: {started.Version} to {started.Waves.Sum(w => w.Devices.Length)} appliances in {started.Waves.Length} waves. The running host sends the orders.");
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"Not started: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command Change(string name, string description, Func<RolloutControl, string, Rollout> change)
    {
        var id = new Argument<string>("rollout-id") { Description = "The rollout (rollout list)." };
        var command = new Command(name, description) { id };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            try
            {
                var changed = change(app.Services.GetRequiredService<RolloutControl>(), parseResult.GetRequiredValue(id));
                await Console.Out.WriteLineAsync($"Rollout {changed.RolloutId} is {changed.State.ToString().ToLowerInvariant()}.");
                return 0;
            }
            catch (InvalidOperationException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }
        });
        return command;
    }

    private static Command List()
    {
        var json = AdminCommand.JsonOption();
        var command = new Command("list", "Every rollout: its release, state and how far it got.") { json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var control = app.Services.GetRequiredService<RolloutControl>();
            var rows = control.List().Select(r => new { rollout = r, outcomes = Outcomes(control.Progress(r.RolloutId)) }).ToList();
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(rows, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"{"ROLLOUT",-34} {"VERSION",-10} {"STATE",-10} {"APPLIANCES",10}  OUTCOMES");
            foreach (var row in rows)
            {
                var r = row.rollout;
                await Console.Out.WriteLineAsync($"{r.RolloutId,-34} {r.Version,-10} {r.State.ToString().ToLowerInvariant(),-10} {r.Waves.Sum(w => w.Devices.Length),10}  {string.Join(", ", row.outcomes.Select(o => $"{o.Value} {o.Key}"))}{(r.Reason is null ? string.Empty : $"  ({r.Reason})")}");
            }

            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("rollout-id") { Description = "The rollout (rollout list)." };
        var json = AdminCommand.JsonOption();
        var command = new Command("show", "One rollout, appliance by appliance.") { id, json };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = AdminCommand.CreateHost([.. parseResult.UnmatchedTokens]);
            var control = app.Services.GetRequiredService<RolloutControl>();
            if (control.Find(parseResult.GetRequiredValue(id)) is not { } rollout)
            {
                await Console.Error.WriteLineAsync($"No rollout {parseResult.GetValue(id)}.");
                return 2;
            }

            var progress = control.Progress(rollout.RolloutId).ToDictionary(p => p.DeviceId, StringComparer.Ordinal);
            if (parseResult.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { rollout, devices = progress.Values }, AdminCommand.Json));
                return 0;
            }

            await Console.Out.WriteLineAsync($"Rollout {rollout.RolloutId}: {rollout.Version} ({rollout.Architecture}), {rollout.State.ToString().ToLowerInvariant()}{(rollout.Reason is null ? string.Empty : $": {rollout.Reason}")}");
            await Console.Out.WriteLineAsync($"{"WAVE",4} {"APPLIANCE",-24} {"STATE",-12} {"RUNNING",-10} {"UPDATED (UTC)",-20} REASON");
            foreach (var wave in rollout.Waves)
            {
                foreach (var deviceId in wave.Devices)
                {
                    var p = progress.GetValueOrDefault(deviceId);
                    var state = p?.State.ToString().ToLowerInvariant() ?? "pending";
                    if (p is { State: DeviceUpdateState.Downloading, ChunksHeld: { } held, ChunkCount: > 0 and var count })
                    {
                        state = $"{state} {held * 100 / count}%";
                    }

                    await Console.Out.WriteLineAsync($"{wave.Number,4} {deviceId,-24} {state,-12} {p?.RunningVersion ?? "-",-10} {p?.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",-20} {p?.Reason}");
                }
            }

            return 0;
        });
        return command;
    }

    private static Dictionary<string, int> Outcomes(IReadOnlyList<DeviceUpdate> progress) =>
        progress.GroupBy(p => p.State.ToString().ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
