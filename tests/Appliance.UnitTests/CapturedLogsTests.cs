using Appliance.TestFixtures;
using Microsoft.Extensions.Logging;

namespace Appliance.UnitTests;

/// <summary>The fixtures' check for errors nobody expected, which fails a test class on a defect seen only in a log.</summary>
public sealed class CapturedLogsTests
{
    [Fact]
    public void AnErrorNobodyExpected_Fails_NamingIt_WhileAnExpectedOneAndWarningsDoNot()
    {
        using var logs = new CapturedLogs();
        var logger = logs.CreateLogger("Appliance.Test");
        void Log(LogLevel level, string message) => logger.Log(level, default, message, null, (m, _) => m);
        Log(LogLevel.Warning, "a refused upload");
        Log(LogLevel.Error, "Host client not connected 30 s after start");
        logs.ExpectError("Host client not connected");

        logs.ThrowIfUnexpectedErrors();

        Log(LogLevel.Critical, "BackgroundService failed");
        var failure = Assert.Throws<InvalidOperationException>(logs.ThrowIfUnexpectedErrors);
        Assert.Contains("BackgroundService failed", failure.Message);
        Assert.DoesNotContain("not connected", failure.Message);
    }
}
