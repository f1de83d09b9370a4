# Slotlink's image: one image for the app servers (the entry point, scripts/serve) and the
# workers (compose.yaml runs scripts/worker instead). Settings come from the environment at run
# time (.env.example, docs/deploy.md); nothing secret is baked in.
#
# Dependencies: exactly requirements.lock, with hashes: pip refuses any file whose hash it does
# not list, and installs nothing the lock does not name.

FROM python:3.11-slim AS dependencies
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.lock ./
RUN python -m venv /venv \
    && /venv/bin/pip install --require-hashes --no-deps -r requirements.lock

# The NHS.UK frontend that package-lock.json pins, fetched by npm. Nothing of it is used until
# scripts/nhsuk_frontend.py (below) has checked its sha512 against the lock. Node stays here.
FROM node:20-slim AS nhsuk-frontend
WORKDIR /build
COPY package-lock.json ./
RUN npm pack --silent "nhsuk-frontend@$(node -p 'require("./package-lock.json").packages["node_modules/nhsuk-frontend"].version')" \
    && mv nhsuk-frontend-*.tgz nhsuk-frontend.tgz

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SLOTLINK_ENV=production \
    SERVE_BIND=0.0.0.0:8000 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_DIR=/srv/media
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin slotlink \
    && mkdir -p /srv/media \
    && chown slotlink /srv/media
COPY --from=dependencies /venv /venv
WORKDIR /app
COPY manage.py ./
COPY scripts ./scripts
COPY slotlink ./slotlink
COPY package-lock.json ./
COPY --from=nhsuk-frontend /build/nhsuk-frontend.tgz /tmp/
RUN python scripts/nhsuk_frontend.py --tarball /tmp/nhsuk-frontend.tgz && rm /tmp/nhsuk-frontend.tgz
# Static files are collected once, here, with production's storage (hashed names, compressed),
# so app servers start without writing any. Production settings insist on secrets: these are
# made up for this step only and thrown away with it.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    ALLOWED_HOSTS=build.invalid PUBLIC_BASE_URL=https://build.invalid \
    python manage.py collectstatic --noinput --verbosity 0

USER slotlink
EXPOSE 8000
ENTRYPOINT ["scripts/serve"]
