from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "slotlink.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from slotlink.accounts.middleware import stamp_login

        # Session bookkeeping only (the 12-hour limit); nothing is audited from signals.
        user_logged_in.connect(stamp_login, dispatch_uid="slotlink.accounts.stamp_login")
