using Appliance.Firmware.Storage;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Appliance.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

public sealed class HostOrderTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-24T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly (byte[] Private, byte[] Public) _host = SeriesSigning.CreateKeyPair();
    private readonly (byte[] Private, byte[] Public) _device = SeriesSigning.CreateKeyPair();

    private HostOrder Signed(HostOrder order) => order with { Signature = SeriesSigning.SignBytes(_host.Private, order.SignedBytes()) };

    private HostOrder Wipe(long counter = 10, string device = "clinic-a-01") =>
        Signed(new HostOrder(HostOrder.WipeKind, Guid.NewGuid().ToString("N"), device, Convert.ToBase64String(_device.Public), counter, Now, Now.AddHours(1)));

    private string? Check(HostOrder order, long last = 5, DateTimeOffset? now = null) =>
        order.Check(_host.Public, "clinic-a-01", _device.Public, last, now ?? Now, TimeSpan.FromMinutes(5));

    [Fact]
    public void AValidOrder_IsObeyed()
    {
        Assert.Null(Check(Wipe()));
    }

    [Fact]
    public void EveryFieldIsCoveredByTheSignature()
    {
        var order = Wipe();
        Assert.Contains("not signed", Check(order with { Counter = 11 }));
        Assert.Contains("not signed", Check(order with { ExpiresAt = Now.AddDays(30) }));
        Assert.Contains("not signed", Check(order with { Kind = HostOrder.LeaseKind }));
        Assert.Contains("not signed", Check(order with { DeviceId = "clinic-b-02" }));
    }

    [Fact]
    public void AReceiptSignatureCannotPassForAnOrder()
    {
        // The host signs receipts with the same key: the order's domain prefix keeps them apart.
        var order = Wipe() with { Signature = null };
        var receiptStyle = SeriesSigning.SignBytes(_host.Private, ProtocolJson.Serialize(order));
        Assert.Contains("not signed", Check(order with { Signature = receiptStyle }));
    }

    [Fact]
    public void ReplayedExpiredFutureAndMisdirectedOrders_AreRefusedWithAReason()
    {
        Assert.Contains("replayed", Check(Wipe(counter: 5), last: 5));
        Assert.Contains("expired", Check(Wipe(), now: Now.AddHours(2)));
        Assert.Contains("issued in the future", Check(Wipe(), now: Now.AddMinutes(-30)));
        Assert.Contains("another device", Check(Wipe(device: "clinic-b-02")));
        var (_, otherKey) = SeriesSigning.CreateKeyPair();
        Assert.Contains("another device key", Check(Signed(Wipe() with { DeviceKey = Convert.ToBase64String(otherKey), Signature = null })));
        Assert.Contains("orderId", Check(Signed(Wipe() with { OrderId = "../../etc", Signature = null })));
    }

    [Fact]
    public void Ledger_RefusesACounterThatDoesNotRise_AndSurvivesARestart()
    {
        using var folder = new TempFolder("ledger");
        var clock = new FakeTimeProvider(Now);
        var ledger = new FileHostOrderLedger(folder.Path, clock);
        Assert.Equal(new Firmware.Core.HostContact(0, Now), ledger.Current);

        ledger.Accept(100, Now.AddHours(1));
        Assert.Throws<InvalidOperationException>(() => ledger.Accept(100, Now.AddHours(2)));
        Assert.Throws<InvalidOperationException>(() => ledger.Accept(99, Now.AddHours(2)));

        var reopened = new FileHostOrderLedger(folder.Path, new FakeTimeProvider(Now.AddDays(3)));
        Assert.Equal(new Firmware.Core.HostContact(100, Now.AddHours(1)), reopened.Current);
        Assert.Empty(Directory.EnumerateFiles(folder.Path, "*.tmp"));
    }
}
