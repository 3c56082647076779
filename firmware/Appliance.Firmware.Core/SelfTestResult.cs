namespace Appliance.Firmware.Core;

/// <summary>How one check of <c>appliance-firmware selftest</c> came out.</summary>
public enum SelfTestOutcome
{
    Pass,
    Fail,

    /// <summary>Not tried, because a part it needs failed its own check above it.</summary>
    Skipped,
}

/// <summary>One row of the install self-test: what was checked, how it came out, and what was seen or what fixes it.</summary>
public sealed record SelfTestResult(string Check, SelfTestOutcome Outcome, string Detail)
{
    public static SelfTestResult Pass(string check, string detail) => new(check, SelfTestOutcome.Pass, detail);

    public static SelfTestResult Fail(string check, string detail) => new(check, SelfTestOutcome.Fail, detail);

    public static SelfTestResult Skip(string check, string detail) => new(check, SelfTestOutcome.Skipped, detail);

    /// <summary>Pass with <paramref name="detail"/> when nothing is wrong, else one fail with the problems.</summary>
    public static SelfTestResult From(string check, IReadOnlyCollection<string> problems, string detail) =>
        problems.Count == 0 ? Pass(check, detail) : Fail(check, string.Join(" ", problems));
}
