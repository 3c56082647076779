using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>The host's Ed25519 signing key, <c>keys/signing.key</c> in the secrets folder, or made on first start in the data folder.</summary>
public sealed class FileHostSigningKey : IHostSigningKey
{
    private readonly byte[] _privateKey;

    public FileHostSigningKey(IOptions<HostDataOptions> options)
    {
        byte[]? publicKey = null;
        _privateKey = SecureFiles.ReadOrCreateSecret(options.Value, () =>
        {
            var (priv, pub) = SeriesSigning.CreateKeyPair();
            publicKey = pub;
            return priv;
        }, "keys", "signing.key");
        PublicKey = publicKey ?? SeriesSigning.PublicKeyOf(_privateKey);
    }

    public byte[] PublicKey { get; }

    public string Sign(ReadOnlySpan<byte> statement) => SeriesSigning.SignBytes(_privateKey, statement);
}
