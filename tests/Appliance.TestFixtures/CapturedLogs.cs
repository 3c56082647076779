using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Appliance.TestFixtures;

public sealed record CapturedLog(LogLevel Level, string Category, EventId EventId, string Message);

/// <summary>
/// A logger provider that keeps every entry, so tests can assert that a rejection was logged with
/// its reason, and so that a fixture fails on any error nobody said to expect (as MQTTnet's own
/// test environment does): an error only in a log is still a defect.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private readonly ConcurrentBag<string> _expected = [];

    /// <summary>An error whose message contains <paramref name="fragment"/> is what this test provokes, not a failure.</summary>
    public void ExpectError(string fragment) => _expected.Add(fragment);

    /// <summary>Errors and criticals logged that no <see cref="ExpectError"/> covers.</summary>
    public IReadOnlyList<CapturedLog> UnexpectedErrors() =>
        [.. AtLeast(LogLevel.Error).Where(e => !_expected.Any(x => e.Message.Contains(x, StringComparison.Ordinal)))];

    /// <summary>For a fixture's end: throws, listing them, if anything logged an error nobody expected.</summary>
    public void ThrowIfUnexpectedErrors()
    {
        var unexpected = UnexpectedErrors();
        if (unexpected.Count > 0)
        {
            throw new InvalidOperationException("errors were logged that the test did not expect:\n"
                + string.Join('\n', unexpected.Select(e => $"{e.Level} {e.Category} [{e.EventId.Id}]: {e.Message}")));
        }
    }

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public IEnumerable<CapturedLog> AtLeast(LogLevel level) => _entries.Where(e => e.Level >= level);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new CapturedLog(logLevel, category, eventId, formatter(state, exception)));
    }
}
