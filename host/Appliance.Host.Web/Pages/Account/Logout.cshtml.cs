using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Appliance.Host.Web.Pages.Account;

/// <summary>Signs out (POST only, with the antiforgery token, so a link on another site cannot do it): the session ends on the server.</summary>
public sealed class LogoutModel : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        await SessionCookie.SignOutAsync(HttpContext);
        return RedirectToPage("/Account/Login");
    }
}
