using Appliance.Host.Core.Users;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Account;

/// <summary>
/// A signed-in user changes their own password. Every session of theirs ends (a copied cookie
/// with it); this browser is signed in afresh.
/// </summary>
public sealed class PasswordModel(UserService users) : PageModel
{
    [BindProperty]
    public string CurrentPassword { get; set; } = string.Empty;

    [BindProperty]
    public string NewPassword { get; set; } = string.Empty;

    [BindProperty]
    public string ConfirmPassword { get; set; } = string.Empty;

    public string? Message { get; private set; }

    public bool MessageIsError { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (NewPassword != ConfirmPassword)
        {
            return Said("The new password and its confirmation differ.", error: true);
        }

        HostUser? user;
        try
        {
            user = users.ChangeOwnPassword(User.Identity?.Name ?? string.Empty, CurrentPassword, NewPassword, SessionCookie.ClientAddress(HttpContext));
        }
        catch (ArgumentException ex)
        {
            return Said(ex.Message, error: true);
        }

        if (user is null)
        {
            return Said("The current password is not right (after repeated failures, wait a few minutes).", error: true);
        }

        await SessionCookie.SignInAsync(HttpContext, user);
        return Said("Password changed. Every other session of yours has ended.");
    }

    private PageResult Said(string message, bool error = false)
    {
        Message = message;
        MessageIsError = error;
        return Page();
    }
}
