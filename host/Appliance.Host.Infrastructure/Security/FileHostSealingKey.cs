using Appliance.Host.Core;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>The host's X25519 sealing key in <c>keys/sealing.key</c>, made on first start.</summary>
public sealed class FileHostSealingKey : IHostSealingKey
{
    private readonly byte[] _privateKey;

    public FileHostSealingKey(IOptions<HostDataOptions> options)
    {
        var path = options.Value.Resolve("keys", "sealing.key");
        byte[]? publicKey = null;
        _privateKey = SecureFiles.ReadOrCreate(path, () =>
        {
            var (priv, pub) = SeriesSealing.CreateHostKeyPair();
            publicKey = pub;
            return priv;
        });
        using var unsealer = new SeriesUnsealer(_privateKey);
        PublicKey = publicKey ?? unsealer.PublicKey;
    }

    public byte[] PublicKey { get; }

    public SeriesUnsealer CreateUnsealer() => new(_privateKey);
}
