"""Two-factor authentication for the demo logins: a fixed, published key, so a tester can add
it to an authenticator app or print the current code. Development only."""

from base64 import b32decode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_otp.plugins.otp_totp.models import TOTPDevice

from slotlink.accounts.services import DEVICE_NAME, two_factor_required_by_role
from slotlink.clinic.models import User

# Published in the README and printed by seed_demo: it protects nothing.
DEMO_TOTP_KEY = "SLOTLINKDEMOONLYSLOTLINKDEMOONLY"
DEMO_CODE_COMMAND = (
    '.venv/bin/python -c "import base64; from django_otp.oath import totp; '
    f"print('%06d' % totp(base64.b32decode('{DEMO_TOTP_KEY}')))\""
)


def demo_two_factor(usernames: list[str]) -> list[str]:
    """Give those of these users whose role needs two-factor authentication an authenticator
    with the demo key (the same every time). Returns their usernames."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo two-factor key is never used in production.")
    done = []
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        if not two_factor_required_by_role(user):
            continue
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(
            user=user, name=DEVICE_NAME, confirmed=True, key=b32decode(DEMO_TOTP_KEY).hex()
        )
        done.append(user.username)
    return done
