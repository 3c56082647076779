using Appliance.Firmware.Core;

namespace Appliance.TestKit;

/// <summary>The operating system's checks as a test sets them: failing ones are listed in <see cref="Problems"/>.</summary>
public sealed class FakeSystemIntegrity : ISystemIntegrity
{
    public IReadOnlyList<string> Problems { get; set; } = [];

    public bool Enforced { get; set; } = true;

    public DateTimeOffset? CheckedAt { get; set; }
}
