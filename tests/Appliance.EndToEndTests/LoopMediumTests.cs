using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>The remanence test's medium: a file left open on it is named, not waited out or unmounted lazily.</summary>
public sealed class LoopMediumTests
{
    [Fact]
    public async Task AFileThisProcessStillHolds_StopsTheUnmount_ByName_AndOnceClosedTheMediumUnmounts()
    {
        using var folder = new TempFolder("loop-medium");
        using var medium = await LoopMedium.MountAsync(folder.Combine("sd.img"), folder.Combine("sd"), 16);
        var path = Path.Combine(medium.MountPoint, "left-open.db");

        using (var open = File.Create(path))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(medium.UnmountAsync);
            Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        }

        await medium.UnmountAsync();
        Assert.False(File.Exists(path), "unmounted: the file is on the medium, not in the folder");
    }
}
