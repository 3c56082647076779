using Appliance.Host.Core.Orders;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>Alone, after the parallel tests: it measures the process's memory.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "memory measured";
}

[Collection(MemoryMeasuredCollection.Name)]
public sealed class DispatchLoopTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>A loop whose rounds are counted, each round reported as it ends.</summary>
    private sealed class CountingLoop(TimeProvider time) : DispatchLoop(Options.Create(new OrderOptions { DispatchInterval = Interval }), time)
    {
        private TaskCompletionSource<int> _round = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _rounds;

        /// <summary>Completes when the round after those counted so far has ended.</summary>
        public Task<int> NextRound => Volatile.Read(ref _round).Task;

        public void WakeUp() => Wake();

        protected override Task RunRoundAsync(CancellationToken cancellationToken)
        {
            var finished = Interlocked.Exchange(ref _round, new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
            finished.SetResult(Interlocked.Increment(ref _rounds));
            return Task.CompletedTask;
        }

        protected override void OnRoundFailed(string reason) => throw new InvalidOperationException(reason);

        protected override void Listen()
        {
        }

        protected override void StopListening()
        {
        }
    }

    /// <summary>
    /// Fake time that says when a timer is set, so the test moves time on only once the loop
    /// waits on it (moved on before, the interval would pass unseen).
    /// </summary>
    private sealed class WatchedClock : TimeProvider
    {
        private TaskCompletionSource _timerSet = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeTimeProvider Fake { get; } = new();

        /// <summary>Completes when the next timer is set.</summary>
        public Task NextTimer => Volatile.Read(ref _timerSet).Task;

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = Fake.CreateTimer(callback, state, dueTime, period);
            Interlocked.Exchange(ref _timerSet, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
            return timer;
        }
    }

    /// <summary>Does <paramref name="act"/> and waits for the round it causes and for the loop to wait again.</summary>
    private static async Task<int> RoundAfterAsync(CountingLoop loop, WatchedClock clock, Action act)
    {
        var waiting = clock.NextTimer;
        var round = loop.NextRound;
        act();
        var number = await round.WaitAsync(TimeSpan.FromSeconds(20));
        await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        return number;
    }

    [Fact]
    public async Task AWake_RunsARoundAtOnce_AndTheIntervalRunsOneAnyway()
    {
        var clock = new WatchedClock();
        using var loop = new CountingLoop(clock);
        Assert.Equal(1, await RoundAfterAsync(loop, clock, () => loop.StartAsync(CancellationToken.None)));
        Assert.Equal(2, await RoundAfterAsync(loop, clock, loop.WakeUp)); // no time passes
        Assert.Equal(3, await RoundAfterAsync(loop, clock, () => clock.Fake.Advance(Interval)));
        await loop.StopAsync(CancellationToken.None);
    }

    /// <summary>
    /// The host runs its loops for months at four rounds a second. A round that ends on the
    /// interval must leave nothing behind: waiting on a channel with a token that is never
    /// cancelled kept a waiter (about 260 bytes) per round until the next wake, which for a fleet
    /// that never wipes is never: about 90 MB a day for each loop.
    /// </summary>
    [Fact]
    public async Task RoundsThatEndOnTheInterval_LeaveNothingBehind()
    {
        const int Rounds = 40_000;
        var clock = new WatchedClock();
        using var loop = new CountingLoop(clock);
        await RoundAfterAsync(loop, clock, () => loop.StartAsync(CancellationToken.None));
        await RunRoundsAsync(loop, clock, 1_000); // warmed up
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await RunRoundsAsync(loop, clock, Rounds);

        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        await loop.StopAsync(CancellationToken.None);
        Assert.True(grown < Rounds * 20, $"{grown / (double)Rounds:F0} bytes kept per round");
    }

    private static async Task RunRoundsAsync(CountingLoop loop, WatchedClock clock, int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            await RoundAfterAsync(loop, clock, () => clock.Fake.Advance(Interval));
        }
    }
}
