using Appliance.Host.Core.Users;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Admin;

/// <summary>
/// The people who sign in, for IT admins: add, change role, disable and enable, reset a password,
/// sign out everywhere, remove. Every change is audited under the admin's name and ends the
/// user's sessions at once.
/// </summary>
public sealed class UsersModel(UserService users) : PageModel
{
    public IReadOnlyList<UserSummary> Users { get; private set; } = [];

    public string? Message { get; private set; }

    public bool MessageIsError { get; private set; }

    private string Actor => User.Identity?.Name ?? "unknown";

    public void OnGet() => Users = users.List();

    public IActionResult OnPostAdd(string name, string role, string password)
    {
        name = name?.Trim() ?? string.Empty;
        // On the page, "add" never overwrites someone: their password and role have their own actions.
        if (users.List().Any(u => u.Name == name))
        {
            return Done($"There is already a user '{name}': change their role or reset their password in their row.", error: true);
        }

        return Act(() => users.Add(name, role, password, Actor), u => $"{u.Name} ({u.Role}) can sign in.");
    }

    public IActionResult OnPostRole(string name, string role) =>
        Act(() => users.SetRole(name, role, Actor), u => $"{u.Name} is now {u.Role}; their sessions ended.");

    public IActionResult OnPostDisable(string name) =>
        Act(() => users.Disable(name, Actor), u => $"{u.Name} can no longer sign in; their sessions ended.");

    public IActionResult OnPostEnable(string name) =>
        Act(() => users.Enable(name, Actor), u => $"{u.Name} can sign in again.");

    public IActionResult OnPostResetPassword(string name, string password) =>
        Act(() => users.ResetPassword(name, password, Actor), u => $"New password set for {u.Name}; their sessions ended.");

    public IActionResult OnPostSignOut(string name) =>
        Act(() => users.SignOutEverywhere(name, Actor), u => $"Every session of {u.Name} ended.");

    public IActionResult OnPostRemove(string name, string confirmName)
    {
        if (name != confirmName)
        {
            return Done($"Type the name ({name}) to confirm removing the user.", error: true);
        }

        return Act(() =>
        {
            users.Remove(name, Actor);
            return new HostUser(name, string.Empty, string.Empty);
        }, u => $"Removed {u.Name}.");
    }

    private IActionResult Act(Func<HostUser> change, Func<HostUser, string> said)
    {
        try
        {
            var user = change();
            // An admin who just changed their own record has ended their own session: sign in again.
            return user.Name == Actor ? RedirectToPage("/Account/Login") : Done(said(user));
        }
        catch (Exception ex) when (ex is ArgumentException or UserChangeRefusedException)
        {
            return Done(ex.Message, error: true);
        }
    }

    private PageResult Done(string message, bool error = false)
    {
        Message = message;
        MessageIsError = error;
        Users = users.List();
        return Page();
    }
}
