from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from accounts import security

        user_logged_in.connect(security.record_login, dispatch_uid="accounts.record_login")
        user_login_failed.connect(security.record_login_failure, dispatch_uid="accounts.record_login_failure")
        user_logged_out.connect(security.record_logout, dispatch_uid="accounts.record_logout")
        user_locked_out.connect(security.record_lockout, dispatch_uid="accounts.record_lockout")
