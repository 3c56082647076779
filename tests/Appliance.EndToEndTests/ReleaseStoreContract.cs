using System.Security.Cryptography;
using Appliance.Host.Core.Releases;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Releases;
using Appliance.Host.PostgreSql;
using Appliance.Protocol.Releases;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One contract for where the host keeps its release keys and packages, run on the data folder
/// and on PostgreSQL: what one instance trusts, rotates to and imports, another sees and serves
/// byte for byte; an import replaces nothing already there; a name that is not a version and
/// architecture finds nothing.
/// </summary>
public abstract class ReleaseStoreContract : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly List<IDisposable> _open = [];

    protected TempFolder Folder { get; } = new("release-store");

    /// <summary>An instance's store; <paramref name="instance"/> tells instances apart (on PostgreSQL, each with a data folder of its own, as on another machine).</summary>
    protected abstract (IReleaseStore Store, IDisposable Lifetime) OpenStore(int instance);

    protected IReleaseStore Open(int instance)
    {
        var (store, lifetime) = OpenStore(instance);
        _open.Add(lifetime);
        return store;
    }

    public void Dispose()
    {
        _open.ForEach(o => o.Dispose());
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static StoredRelease Release(string version) =>
        new(new ReleaseManifest(ReleaseManifest.CurrentFormat, version, 0, "linux-arm64", ["dermoscope-pi4"], 4096, new string('a', 64), new DateOnly(2029, 1, 1), 1, "test", "key-1"), Now, "it.admin");

    protected string PackageFile(string name, byte[] content)
    {
        var path = Folder.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void KeysAndRotations_OneInstanceSaves_AreWhatAnotherReads()
    {
        var (one, two) = (Open(1), Open(2));
        Assert.Empty(two.TrustedKeys());
        Assert.Empty(two.KeyRotations());

        one.SaveTrustedKeys([new TrustedReleaseKey("key-1", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), Now, "it.admin")]);
        one.SaveKeyRotations([new SignedKeyRotation("cm90YXRpb24=", [])]);
        one.SaveKeyRotations([new SignedKeyRotation("cm90YXRpb24=", []), new SignedKeyRotation("c2Vjb25k", [])]);

        Assert.Equal("key-1", Assert.Single(two.TrustedKeys()).KeyId);
        Assert.Equal(["cm90YXRpb24=", "c2Vjb25k"], two.KeyRotations().Select(r => r.Rotation));
    }

    [Fact]
    public void APackageImportedThroughOneInstance_IsServedByAnother_AsImported_AndNeverReplaced()
    {
        var (one, two) = (Open(1), Open(2));
        var content = RandomNumberGenerator.GetBytes(300_000);
        Assert.True(one.Add(PackageFile("a.release", content), Release("2.1.0")));
        Assert.False(two.Add(PackageFile("b.release", RandomNumberGenerator.GetBytes(1000)), Release("2.1.0") with { ImportedBy = "someone.else" }));

        Assert.Equal("it.admin", Assert.Single(two.List()).ImportedBy);
        Assert.Equal(content, File.ReadAllBytes(two.PackagePath("2.1.0", "linux-arm64")!));
        Assert.Equal(content, File.ReadAllBytes(one.PackagePath("2.1.0", "linux-arm64")!));
        Assert.Null(two.PackagePath("2.1.0", "linux-x64"));
        Assert.Null(two.PackagePath("../2.1.0", "linux-arm64"));
        Assert.Empty(Directory.EnumerateFiles(Folder.Path, "*.partial", SearchOption.AllDirectories));
    }
}

public sealed class FileReleaseStoreTests : ReleaseStoreContract
{
    protected override (IReleaseStore, IDisposable) OpenStore(int instance) =>
        (new FileReleaseStore(Options.Create(new HostDataOptions { DataFolder = Folder.Combine("host") })), new Disposables());
}

public sealed class PostgreSqlReleaseStoreTests(PostgresFixture postgres) : ReleaseStoreContract, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected override (IReleaseStore, IDisposable) OpenStore(int instance)
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        return (new PostgreSqlReleaseStore(source, Options.Create(new HostDataOptions { DataFolder = Folder.Combine($"host-{instance}") })), source);
    }

    [Fact]
    public void ALocalCopyChangedOnDisk_IsMadeAgainFromTheDatabase()
    {
        var content = RandomNumberGenerator.GetBytes(50_000);
        Open(1).Add(PackageFile("a.release", content), Release("2.2.0"));
        var path = Open(2).PackagePath("2.2.0", "linux-arm64")!;
        Assert.StartsWith(Folder.Combine("host-2"), path, StringComparison.Ordinal);
        File.WriteAllBytes(path, content[..1000]); // cut short (a full disk, or tampering)

        // The instance restarted: its first use checks the copy against the digest kept with the package.
        Assert.Equal(content, File.ReadAllBytes(Open(2).PackagePath("2.2.0", "linux-arm64")!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
