using Appliance.Host.Core.Provisioning;

namespace Appliance.UnitTests;

/// <summary>A device's signing keys over their life: which one orders are bound to, and which signatures count.</summary>
public sealed class DeviceSigningKeyRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromDays(30);
    private static readonly byte[] First = Key(1);
    private static readonly byte[] Second = Key(2);
    private static readonly byte[] Third = Key(3);

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static DeviceSigningKeyRing InService() =>
        DeviceSigningKeyRing.Empty.Issue(First, ProvisioningKind.New, T0).Confirm(First, T0, Grace)!;

    [Fact]
    public void ANewDevice_IsOrderedUnderItsIssuedKey_BeforeItIsEverSeen()
    {
        var ring = DeviceSigningKeyRing.Empty.Issue(First, ProvisioningKind.New, T0);

        Assert.Equal(First, ring.OrderKey!.Bytes);
        Assert.Equal(SigningKeyState.Pending, ring.OrderKey.State);
    }

    [Fact]
    public void AfterARotation_OrdersStayBoundToTheKeyTheApplianceHolds_UntilItShowsTheNewOne()
    {
        var rotated = InService().Issue(Second, ProvisioningKind.Rotate, T0.AddDays(1));

        Assert.Equal(First, rotated.OrderKey!.Bytes);
        Assert.Equal([Second, First], rotated.Accepted(T0.AddDays(1)).Select(k => k.Bytes));

        var enrolled = rotated.Confirm(Second, T0.AddDays(2), Grace)!;
        Assert.Equal(Second, enrolled.OrderKey!.Bytes);
        // Series queued under the old key still file for the grace period, and not after.
        Assert.Contains(enrolled.Accepted(T0.AddDays(2) + Grace - TimeSpan.FromSeconds(1)), k => k.Bytes.SequenceEqual(First));
        Assert.DoesNotContain(enrolled.Accepted(T0.AddDays(2) + Grace), k => k.Bytes.SequenceEqual(First));
    }

    [Fact]
    public void AReprovisioning_RetiresEveryOlderKeyAtOnce()
    {
        // After a theft: a series the thief signs with the stolen key must never file again.
        var reprovisioned = InService().Issue(Second, ProvisioningKind.Reprovision, T0.AddDays(5));

        Assert.Equal(Second, reprovisioned.OrderKey!.Bytes);
        Assert.Equal([Second], reprovisioned.Accepted(T0.AddDays(5)).Select(k => k.Bytes));
        Assert.Equal(SigningKeyState.Retired, reprovisioned.Keys[0].State);
    }

    [Fact]
    public void TwoRotations_TheNewerEnrolled_KeepsTheOlderPackagesKeyOnlyForItsQueuedSeries()
    {
        var ring = InService().Issue(Second, ProvisioningKind.Rotate, T0.AddDays(1)).Issue(Third, ProvisioningKind.Rotate, T0.AddDays(2));
        Assert.Equal(First, ring.OrderKey!.Bytes);

        var enrolled = ring.Confirm(Third, T0.AddDays(3), Grace)!;

        Assert.Equal(Third, enrolled.OrderKey!.Bytes);
        var older = enrolled.Keys.Single(k => k.Bytes.SequenceEqual(Second));
        Assert.Equal(SigningKeyState.Previous, older.State);
        Assert.Equal(T0.AddDays(3) + Grace, older.AcceptedUntil);
        Assert.Null(enrolled.Confirm(Second, T0.AddDays(4), Grace)); // orders never go back to it
        Assert.Null(enrolled.Confirm(Third, T0.AddDays(4), Grace)); // nothing to change
    }
}
