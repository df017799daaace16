from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views
from common import health
from visits import views_offline

urlpatterns = [
    path("", account_views.home, name="home"),
    # For the load balancer and the monitoring: no login, no personal data, no version (common/health.py).
    path("healthz", health.healthz, name="healthz"),
    # The phone app: its service worker must be served from the root to answer for every page.
    path("sw.js", views_offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", views_offline.manifest, name="manifest"),
    path("offline/", views_offline.offline, name="offline"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/inbox/", account_views.inbox, name="inbox"),
    path("accounts/inbox/read/", account_views.inbox_mark_read, name="inbox-read"),
    # The language switch works on the login page too: a visitor chooses before logging in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("households/", include("households.urls")),
    path("assistance/", include("assistance.urls")),
    path("visits/", include("visits.urls")),
    path("infrastructure/", include("infrastructure.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]

# The error pages in the site's layout; a lost database answers 503 (common/errors.py), wherever in the
# request it was found missing.
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"
