using System.Text;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.Protocol;

namespace Appliance.UnitTests;

/// <summary>The small print of what is signed, hashed and matched: nothing can be read as something else.</summary>
public sealed class SignedFormsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EverySignedKind_HasADomainPrefixOfItsOwn()
    {
        var (key, _) = SeriesSigning.CreateKeyPair();
        byte[][] signedForms =
        [
            new FiledReceipt("s-1", "clinic-a-01", Now, ["ab"], "archive:s-1").SignedBytes(),
            new WipeReport("clinic-a-01", Now, ["bundle"], 0, 5).SignedBytes(),
            new HostOrder(HostOrder.WipeKind, Guid.NewGuid().ToString("N"), "clinic-a-01", "k", 1, Now, Now.AddHours(1)).SignedBytes(),
            new HostCommand(HostCommand.CalibrateKind, null, new CalibrationRequest("run-1", Now, Now.AddHours(1))).SignedBytes(),
        ];
        var prefixes = signedForms.Select(b => Encoding.ASCII.GetString(b, 0, Array.IndexOf(b, (byte)'\n') + 1)).ToList();

        Assert.All(prefixes, p => Assert.Matches("^appliance-[a-z-]+-v1\n$", p));
        Assert.Equal(prefixes.Count, prefixes.Distinct().Count());
        // And so a signature over one never verifies over another, whatever their JSON.
        var signature = SeriesSigning.SignBytes(key, signedForms[0]);
        Assert.All(signedForms[1..], other => Assert.False(SeriesSigning.VerifyBytes(SeriesSigning.PublicKeyOf(key), other, signature)));
    }

    [Fact]
    public void AnAuditEntry_WithTextMovedBetweenFields_HashesDifferently()
    {
        // The first format joined fields with newlines: "a\nb" + "c" and "a" + "b\nc" hashed alike.
        Assert.Equal(
            AuditEntry.HashOf(1, Now, "signed-in", "a\nb", "c", "d", AuditEntry.GenesisHash, format: 1),
            AuditEntry.HashOf(1, Now, "signed-in", "a", "b\nc", "d", AuditEntry.GenesisHash, format: 1));

        Assert.NotEqual(
            AuditEntry.HashOf(1, Now, "signed-in", "a\nb", "c", "d", AuditEntry.GenesisHash),
            AuditEntry.HashOf(1, Now, "signed-in", "a", "b\nc", "d", AuditEntry.GenesisHash));
    }

    [Fact]
    public void AnAuditTrail_InTheFirstFormat_StillVerifies_AndCannotBeMovedIntoTheNew()
    {
        var hash = AuditEntry.HashOf(1, Now, "signed-in", "it.admin", "it.admin", "admin", AuditEntry.GenesisHash, format: 1);
        var old = new AuditEntry(1, Now, "signed-in", "it.admin", "it.admin", "admin", AuditEntry.GenesisHash, hash, Format: 1);
        Assert.True(AuditVerifier.Verify([old], (1, hash)).Intact);
        Assert.False(AuditVerifier.Verify([old with { Format = 2 }], (1, hash)).Intact);
        Assert.False(AuditVerifier.Verify([old with { Format = 7 }], (1, hash)).Intact);
    }

    [Theory]
    [InlineData("clinic-a-01\n")]
    [InlineData("clinic-a-01\r\n")]
    public void ADeviceIdWithATrailingNewline_IsNotADeviceId(string id) => Assert.False(DeviceId.IsValid(id));

    [Fact]
    public void NamesAndCodesWithATrailingNewline_AreRefused()
    {
        Assert.False(UserService.IsValidName("it.admin\n"));
        Assert.True(UserService.IsValidName("it.admin"));
        Assert.False(EpisodeCodes.IsValid(EpisodeCodes.New() + "\n"));
    }
}
