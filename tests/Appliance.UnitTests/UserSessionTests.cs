using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Users;
using Appliance.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.UnitTests;

/// <summary>Sign-in limits and server-side sessions, on a fake clock with the real services.</summary>
public sealed class UserSessionTests
{
    private const string Password = "the right password 1";
    private const string Here = "10.0.0.9";
    private const string OwnPc = "10.0.0.10";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeUserStore _users = new();
    private readonly FakeSessionStore _sessions = new();
    private readonly FakeAuditTrail _audit = new();
    private readonly FakePasswordHasher _hasher = new();
    private readonly SignInOptions _signIn = new();
    private readonly SessionLifetimeOptions _lifetime = new();
    private readonly HostSessions _hostSessions;
    private readonly UserService _service;

    public UserSessionTests()
    {
        _hostSessions = new HostSessions(_sessions, _users, _audit, _time, Options.Create(_lifetime), NullLogger<HostSessions>.Instance);
        _service = new UserService(_users, _hasher, _hostSessions, new SignInThrottle(_time), _audit, _time, Options.Create(_signIn), NullLogger<UserService>.Instance);
        _service.Add("it.admin", UserRoles.Admin, Password, "test");
        _service.Add("nurse.a", UserRoles.Clinic, Password, "test");
    }

    [Fact]
    public async Task TwelveWrongPasswordsAtOnce_OnlyFiveAreChecked_AndTheOwnerCanStillSignInFromTheirOwnPc()
    {
        var before = _hasher.Verifications;
        var attempts = Enumerable.Range(0, 12).Select(_ => Task.Run(() => _service.SignIn("it.admin", "a wrong password!", Here)));

        Assert.All(await Task.WhenAll(attempts), Assert.Null);
        Assert.Equal(_signIn.FailuresPerAccountAndAddress, _hasher.Verifications - before);
        Assert.Null(_service.SignIn("it.admin", Password, Here));
        Assert.NotNull(_service.SignIn("it.admin", Password, OwnPc));
        Assert.Equal(13, _audit.ReadAll().Count(e => e.Kind == AuditKinds.SignInFailed && e.Subject == "it.admin" && e.Details.EndsWith($"from {Here}", StringComparison.Ordinal)));
    }

    [Fact]
    public void OneAddressGuessingAcrossAccounts_IsHeldBackForAll_ButOnlyThatAddress()
    {
        for (var i = 0; i < _signIn.FailuresPerAddress; i++)
        {
            Assert.Null(_service.SignIn($"guess{i}", "a wrong password!", Here));
        }

        Assert.Null(_service.SignIn("nurse.a", Password, Here));
        Assert.NotNull(_service.SignIn("nurse.a", Password, OwnPc));

        _time.Advance(_signIn.Window);
        Assert.NotNull(_service.SignIn("nurse.a", Password, Here));
    }

    [Fact]
    public void EveryRefusal_IsAudited_WithTheClientAddress_EvenForAnUnknownName()
    {
        _service.SignIn("no.such.user", "a wrong password!", Here);
        _service.SignIn("NOT A NAME <script>", "a wrong password!", Here);

        var failures = _audit.ReadAll().Where(e => e.Kind == AuditKinds.SignInFailed).ToList();
        Assert.Contains(failures, e => e.Subject == "no.such.user" && e.Details == $"unknown user from {Here}");
        Assert.Contains(failures, e => e.Subject == "(not a user name)" && e.Details == $"unknown user from {Here}");
    }

    [Fact]
    public void ALockedDisabledOrUnknownAccount_TakesTheSamePasswordCheckAsAWrongPassword()
    {
        _signIn.FailuresPerAccount = 3;
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(_service.SignIn("nurse.a", "a wrong password!", $"10.1.0.{i}"));
        }

        _service.Add("nurse.b", UserRoles.Clinic, Password, "test");
        _service.Disable("nurse.b", "it.admin");

        Assert.Equal(1, ChecksFor(() => _service.SignIn("it.admin", "a wrong password!", "10.2.0.1")));
        Assert.Equal(1, ChecksFor(() => _service.SignIn("nurse.a", Password, "10.2.0.2"))); // locked: refused even with the right password
        Assert.Equal(1, ChecksFor(() => _service.SignIn("nurse.b", Password, "10.2.0.3"))); // disabled
        Assert.Equal(1, ChecksFor(() => _service.SignIn("nobody.here", Password, "10.2.0.4")));
        Assert.Contains(_audit.ReadAll(), e => e.Kind == AuditKinds.SignInFailed && e.Subject == "nurse.a" && e.Details.StartsWith("account locked", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAccountLock_LiftsAfterItsWindow_AndTheCountStartsAgain()
    {
        _signIn.FailuresPerAccount = 3;
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(_service.SignIn("nurse.a", "a wrong password!", $"10.3.0.{i}"));
        }

        Assert.Null(_service.SignIn("nurse.a", Password, "10.3.1.1"));
        _time.Advance(_signIn.Window);
        Assert.Null(_service.SignIn("nurse.a", "a wrong password!", "10.3.1.2")); // one failure after the lock: not locked again
        Assert.NotNull(_service.SignIn("nurse.a", Password, "10.3.1.3"));
    }

    [Fact]
    public void ASession_EndsWhenIdle()
    {
        var secret = SignedIn("nurse.a");
        _time.Advance(_lifetime.IdleTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(SessionState.Active, _hostSessions.Check(secret));
        _time.Advance(_lifetime.IdleTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(SessionState.Active, _hostSessions.Check(secret));
        _time.Advance(_lifetime.IdleTimeout);
        Assert.Equal(SessionState.Idle, _hostSessions.Check(secret));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SessionState.Idle, _hostSessions.Check(secret));
    }

    [Fact]
    public void ASessionUsedAllDay_EndsAtItsAbsoluteLifetime()
    {
        var secret = SignedIn("nurse.a");
        var used = TimeSpan.Zero;
        while (used + TimeSpan.FromMinutes(10) < _lifetime.AbsoluteLifetime)
        {
            _time.Advance(TimeSpan.FromMinutes(10));
            used += TimeSpan.FromMinutes(10);
            Assert.Equal(SessionState.Active, _hostSessions.Check(secret));
        }

        _time.Advance(_lifetime.AbsoluteLifetime - used);
        Assert.Equal(SessionState.Expired, _hostSessions.Check(secret));
    }

    public static TheoryData<string> Endings() => ["sign-out", "password reset", "own password change", "role change", "disable", "remove", "sign out everywhere"];

    [Theory]
    [MemberData(nameof(Endings))]
    public void EveryCopyOfASession_Ends_At(string ending)
    {
        var secret = SignedIn("nurse.a");
        var otherPc = SignedIn("nurse.a");
        var colleague = SignedIn("it.admin");
        Assert.Equal(SessionState.Active, _hostSessions.Check(secret));

        var expected = ending switch
        {
            "sign-out" => Do(() => _hostSessions.SignOut(secret, "nurse.a"), SessionState.SignedOut),
            "password reset" => Do(() => _service.ResetPassword("nurse.a", "a brand new password", "it.admin"), SessionState.UserChanged),
            "own password change" => Do(() => Assert.NotNull(_service.ChangeOwnPassword("nurse.a", Password, "a brand new password", Here)), SessionState.UserChanged),
            "role change" => Do(() => _service.SetRole("nurse.a", UserRoles.Dermatologist, "it.admin"), SessionState.UserChanged),
            "disable" => Do(() => _service.Disable("nurse.a", "it.admin"), SessionState.UserDisabled),
            "remove" => Do(() => _service.Remove("nurse.a", "it.admin"), SessionState.UserRemoved),
            _ => Do(() => _service.SignOutEverywhere("nurse.a", "it.admin"), SessionState.UserChanged),
        };

        Assert.Equal(expected, _hostSessions.Check(secret));
        if (ending != "sign-out")
        {
            Assert.Equal(expected, _hostSessions.Check(otherPc));
        }

        Assert.Equal(SessionState.Active, _hostSessions.Check(colleague));
    }

    [Fact]
    public void TheSessionStore_HoldsNothingACookieCouldBeMadeFrom()
    {
        var secret = SignedIn("nurse.a");
        var stored = Assert.Single(_sessions.List());
        Assert.DoesNotContain(secret, System.Text.Json.JsonSerializer.Serialize(stored), StringComparison.Ordinal);
        Assert.Equal(SessionState.Unknown, _hostSessions.Check(stored.Id)); // the stored id is not a usable secret
    }

    [Fact]
    public void TheLastAdmin_CannotBeDisabledRemovedOrDemoted()
    {
        Assert.Throws<UserChangeRefusedException>(() => _service.Disable("it.admin", "it.admin"));
        Assert.Throws<UserChangeRefusedException>(() => _service.Remove("it.admin", "it.admin"));
        Assert.Throws<UserChangeRefusedException>(() => _service.SetRole("it.admin", UserRoles.Clinic, "it.admin"));

        _service.Add("it.second", UserRoles.Admin, Password, "it.admin");
        _service.Disable("it.admin", "it.second");
        Assert.True(_users.Find("it.admin")!.Disabled);
        Assert.Contains(_audit.ReadAll(), e => e.Kind == AuditKinds.UserDisabled && e.Subject == "it.admin" && e.Actor == "it.second");
    }

    private string SignedIn(string name)
    {
        var user = _service.SignIn(name, Password, Here) ?? throw new InvalidOperationException("sign-in failed");
        return _hostSessions.Start(user, Here).Secret;
    }

    private int ChecksFor(Action act)
    {
        var before = _hasher.Verifications;
        act();
        return _hasher.Verifications - before;
    }

    private static SessionState Do(Action act, SessionState expected)
    {
        act();
        return expected;
    }
}
