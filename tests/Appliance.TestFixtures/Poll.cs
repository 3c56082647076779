namespace Appliance.TestFixtures;

/// <summary>Waits for something another task or process makes true, without fixed sleeps: checks every 25 ms up to a limit.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);

    /// <exception cref="TimeoutException">with <paramref name="what"/> when it is still false at the limit.</exception>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? limit = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, limit);

    /// <param name="seen">What was there instead, for the message when it times out (a flaky wait says why).</param>
    public static Task UntilAsync(Func<bool> condition, string what, Func<object?> seen, TimeSpan? limit = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, limit, seen);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null, Func<object?>? seen = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? DefaultLimit);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {(limit ?? DefaultLimit).TotalSeconds:F0} s: {what}{(seen is null ? string.Empty : $" (instead: {seen() ?? "nothing"})")}");
            }

            await Task.Delay(25);
        }
    }
}
