from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/inbox/", account_views.inbox, name="inbox"),
    path("accounts/inbox/read/", account_views.inbox_mark_read, name="inbox-read"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("households/", include("households.urls")),
    path("assistance/", include("assistance.urls")),
    path("visits/", include("visits.urls")),
    path("infrastructure/", include("infrastructure.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
