using Appliance.Protocol;

namespace Appliance.TestData;

/// <summary>A wipe report as an appliance sends it: signed with its own key just before the key goes.</summary>
public static class SignedWipeReports
{
    public static byte[] Create(string deviceId, string signingPrivateKeyBase64, WipeTrigger trigger, int unsentSeriesLost, string? orderId = null) =>
        Create(deviceId, Convert.FromBase64String(signingPrivateKeyBase64), trigger, unsentSeriesLost, orderId);

    public static byte[] Create(string deviceId, byte[] signingPrivateKey, WipeTrigger trigger, int unsentSeriesLost, string? orderId = null)
    {
        var report = new WipeReport(deviceId, DateTimeOffset.UtcNow, ["store key", "bundle"], unsentSeriesLost, 180, trigger, orderId);
        return ProtocolJson.Serialize(report with { Signature = SeriesSigning.SignBytes(signingPrivateKey, report.SignedBytes()) });
    }
}
