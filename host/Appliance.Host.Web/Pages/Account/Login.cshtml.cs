using Appliance.Host.Core.Users;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Account;

/// <summary>Sign-in: a name and password checked against the host's users (Argon2id), then a server-side session.</summary>
public sealed class LoginModel(UserService users) : PageModel
{
    [BindProperty]
    public string UserName { get; set; } = string.Empty;

    [BindProperty]
    public string Password { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = users.SignIn((UserName ?? string.Empty).Trim(), Password ?? string.Empty, SessionCookie.ClientAddress(HttpContext));
        if (user is null)
        {
            Error = "That name and password do not match an account that can sign in here now (after repeated failures, wait a few minutes or ask an admin).";
            return Page();
        }

        await SessionCookie.SignInAsync(HttpContext, user);
        if (!string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl))
        {
            return LocalRedirect(ReturnUrl);
        }

        return user.Role == UserRoles.Admin ? RedirectToPage("/Admin/Fleet") : RedirectToPage("/Index");
    }
}
