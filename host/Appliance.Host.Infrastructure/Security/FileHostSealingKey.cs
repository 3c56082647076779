using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>The host's X25519 sealing key, <c>keys/sealing.key</c> in the secrets folder, or made on first start in the data folder.</summary>
public sealed class FileHostSealingKey : IHostSealingKey
{
    private readonly byte[] _privateKey;

    public FileHostSealingKey(IOptions<HostDataOptions> options)
    {
        byte[]? publicKey = null;
        _privateKey = SecureFiles.ReadOrCreateSecret(options.Value, () =>
        {
            var (priv, pub) = SeriesSealing.CreateHostKeyPair();
            publicKey = pub;
            return priv;
        }, "keys", "sealing.key");
        using var unsealer = new SeriesUnsealer(_privateKey);
        PublicKey = publicKey ?? unsealer.PublicKey;
    }

    public byte[] PublicKey { get; }

    public SeriesUnsealer CreateUnsealer() => new(_privateKey);
}
