from django.shortcuts import redirect


def home(request):
    """Send each role to its landing page (for now every role lands on the household list)."""
    return redirect("households:list")
