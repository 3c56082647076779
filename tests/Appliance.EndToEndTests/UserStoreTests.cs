using Appliance.Host.Core.Users;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Security;
using Appliance.Host.PostgreSql;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One contract for the user and session stores, run on each provider: a user is saved, found,
/// changed, listed in name order and removed; a session is kept, found by its id from another
/// instance, ended there for every instance, listed and deleted; an id that is not a session
/// id's shape is refused.
/// </summary>
public abstract class UserStoreContract
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    protected abstract (IUserStore Users, ISessionStore Sessions) AnotherInstance();

    [Fact]
    public void Users_AreSavedFoundChangedListedAndRemoved()
    {
        var (users, _) = AnotherInstance();
        var nurse = new HostUser("nurse.b", UserRoles.Clinic, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA", SessionStamp: HostUser.NewStamp());
        users.Save(new HostUser("admin.a", UserRoles.Admin, "$argon2id$hash-a", SessionStamp: HostUser.NewStamp()));
        users.Save(nurse);
        Assert.Equal(nurse, AnotherInstance().Users.Find("nurse.b"));

        var locked = nurse with { FailedAttempts = 5, LockedUntil = Now.AddMinutes(15), Disabled = true, SessionStamp = HostUser.NewStamp() };
        AnotherInstance().Users.Save(locked);
        Assert.Equal(locked, users.Find("nurse.b"));
        Assert.Equal(["admin.a", "nurse.b"], users.List().Select(u => u.Name));

        Assert.True(users.Remove("nurse.b"));
        Assert.False(users.Remove("nurse.b"));
        Assert.Null(users.Find("nurse.b"));
        Assert.Null(users.Find("nobody"));
    }

    [Fact]
    public void Sessions_AreSharedBetweenInstances_AndASignOutOnOneEndsItForAll()
    {
        var (_, here) = AnotherInstance();
        var (_, there) = AnotherInstance();
        var id = new string('a', 64);
        var session = new HostSession(id, "nurse.b", UserRoles.Clinic, "stamp-1", Now, Now.AddMinutes(3), "10.1.2.3");
        here.Save(session);
        here.Save(new HostSession(new string('b', 64), "admin.a", UserRoles.Admin, "stamp-2", Now, Now, "10.1.2.4"));

        Assert.Equal(session, there.Find(id));
        var ended = session with { EndedAt = Now.AddMinutes(4), EndedBecause = "signed out" };
        there.Save(ended);
        Assert.Equal(ended, here.Find(id));
        Assert.Equal(2, here.List().Count);

        here.Delete(id);
        Assert.Null(there.Find(id));
        Assert.Null(there.Find("not-a-session-id"));
        Assert.Single(there.List());
        Assert.Throws<ArgumentException>(() => here.Save(session with { Id = "ABC" }));
    }
}

public sealed class FileUserStoreTests : UserStoreContract, IDisposable
{
    private readonly TempFolder _folder = new("users");

    protected override (IUserStore Users, ISessionStore Sessions) AnotherInstance()
    {
        var options = Options.Create(new HostDataOptions { DataFolder = _folder.Path });
        return (new FileUserStore(options), new FileSessionStore(options));
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class PostgreSqlUserStoreTests(PostgresFixture postgres) : UserStoreContract, IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    protected override (IUserStore Users, ISessionStore Sessions) AnotherInstance()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        return (new PostgreSqlUserStore(source), new PostgreSqlSessionStore(source));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _sources.ForEach(s => s.Dispose());
}
