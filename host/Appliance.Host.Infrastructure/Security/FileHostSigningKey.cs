using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>The host's Ed25519 signing key in <c>keys/signing.key</c>, made on first start.</summary>
public sealed class FileHostSigningKey : IHostSigningKey
{
    private readonly byte[] _privateKey;

    public FileHostSigningKey(IOptions<HostDataOptions> options)
    {
        var path = options.Value.Resolve("keys", "signing.key");
        byte[]? publicKey = null;
        _privateKey = SecureFiles.ReadOrCreate(path, () =>
        {
            var (priv, pub) = SeriesSigning.CreateKeyPair();
            publicKey = pub;
            return priv;
        });
        PublicKey = publicKey ?? SeriesSigning.PublicKeyOf(_privateKey);
    }

    public byte[] PublicKey { get; }

    public string Sign(ReadOnlySpan<byte> statement) => SeriesSigning.SignBytes(_privateKey, statement);
}
