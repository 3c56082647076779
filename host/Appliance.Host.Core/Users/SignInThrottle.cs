using System.ComponentModel.DataAnnotations;

namespace Appliance.Host.Core.Users;

/// <summary>Section <c>SignIn</c>: how many wrong passwords are allowed, from where, before the door closes for a while.</summary>
public sealed class SignInOptions
{
    public const string Section = "SignIn";

    /// <summary>
    /// Wrong passwords for one account from one client address before that address may not try
    /// that account again for <see cref="Window"/>. Someone else's guesses from another PC do not
    /// lock the owner out.
    /// </summary>
    [Range(1, 100)]
    public int FailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>Wrong passwords from one client address, whatever the accounts, before it may try none.</summary>
    [Range(1, 10_000)]
    public int FailuresPerAddress { get; set; } = 20;

    /// <summary>
    /// Wrong passwords in a row for one account from all addresses together before the account
    /// itself locks for <see cref="Window"/> (a guess spread over many machines).
    /// </summary>
    [Range(1, 10_000)]
    public int FailuresPerAccount { get; set; } = 50;

    /// <summary>How long failures count and a lock lasts.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Failed sign-ins per client address and per account and address, in memory. An attempt is
/// counted as a failure <em>before</em> its password is checked (the check takes a few hundred
/// milliseconds), so parallel guesses cannot all slip in under the limit; a right password then
/// takes its count back.
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    private const int SweepEvery = 1024;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<DateTimeOffset>> _byAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, string Address), List<DateTimeOffset>> _byPair = new();
    private int _sinceSweep;

    /// <summary>Null when the attempt may go ahead (and is counted); otherwise why not.</summary>
    public string? TryReserve(string name, string address, SignInOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            SweepNow(now, options.Window);
            var byAddress = Recent(_byAddress, address, now, options.Window);
            if (byAddress.Count >= options.FailuresPerAddress)
            {
                return $"{byAddress.Count} failures from this address";
            }

            var byPair = Recent(_byPair, (name, address), now, options.Window);
            if (byPair.Count >= options.FailuresPerAccountAndAddress)
            {
                return $"{byPair.Count} failures for this account from this address";
            }

            byAddress.Add(now);
            byPair.Add(now);
            return null;
        }
    }

    /// <summary>The right password: this account's failures from this address are forgiven, and this attempt's count taken back.</summary>
    public void Succeeded(string name, string address)
    {
        lock (_lock)
        {
            _byPair.Remove((name, address));
            if (_byAddress.TryGetValue(address, out var times) && times.Count > 0)
            {
                times.RemoveAt(times.Count - 1);
            }
        }
    }

    private static List<DateTimeOffset> Recent<TKey>(Dictionary<TKey, List<DateTimeOffset>> map, TKey key, DateTimeOffset now, TimeSpan window)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var times))
        {
            map[key] = times = [];
        }

        times.RemoveAll(t => now - t >= window);
        return times;
    }

    // Names and addresses an attacker makes up must not grow the maps for ever.
    private void SweepNow(DateTimeOffset now, TimeSpan window)
    {
        if (++_sinceSweep < SweepEvery)
        {
            return;
        }

        _sinceSweep = 0;
        foreach (var key in _byAddress.Where(e => e.Value.TrueForAll(t => now - t >= window)).Select(e => e.Key).ToList())
        {
            _byAddress.Remove(key);
        }

        foreach (var key in _byPair.Where(e => e.Value.TrueForAll(t => now - t >= window)).Select(e => e.Key).ToList())
        {
            _byPair.Remove(key);
        }
    }
}
