"""`make prod-local`: Slotlink on this machine as production runs it.

Production settings (SLOTLINK_ENV=production, with throwaway secrets kept in a git-ignored state
directory), PostgreSQL (a database of its own on DATABASE_URL's server), migrations and static
files as deploy steps, two app servers started by scripts/serve (gunicorn), two workers started
by scripts/worker (texts, and the once-a-minute housekeeping), and Debian's nginx in front of
them with TLS (a self-signed certificate made here), configured from deploy/nginx.conf as the
compose file's proxy is. A trial service (slotlink.ops.trial) makes it usable: its logins are
written once to the state directory.

    python -m deploy.prod_local run     # start, say where it serves; Ctrl+C stops everything
    python -m deploy.prod_local start   # start and return; `stop` stops it
    python -m deploy.prod_local stop    # stop what a start left running
    python -m deploy.prod_local manage send_booking_link --patient 1 --rule "…"
                                        # a manage.py command, with the profile's settings

Tests and benchmarks use ProdLocal directly. Every process it starts is recorded (pid and start
time) in the state directory and stopped by that record only, process group by process group,
so a restart first stops the previous run and nothing is left behind. Only 127.0.0.1 is bound.
Tunable through the environment: PROD_LOCAL_PORT (8440: nginx; the app servers take the next
ports), PROD_LOCAL_DATABASE_URL, PROD_LOCAL_STATE (.prod-local), and gunicorn's WEB_WORKERS and
WEB_THREADS (docs/deploy.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
TEMPLATE = ROOT / "deploy" / "nginx.conf"
DEFAULT_PORT = 8440
DEFAULT_DATABASE = "slotlink_prod_local"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
# What the children inherit from this process's environment; everything else they are given.
# gunicorn's sizing too, so that make bench-scale can compare processes against threads, and
# runs with and without workers being replaced.
INHERITED = (
    *("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"),
    *("WEB_WORKERS", "WEB_THREADS", "WEB_MAX_REQUESTS"),
)
TRIAL_RULE = "Trial assessment – telephone"  # slotlink.ops.trial, which needs Django to import


class ProdLocalError(RuntimeError):
    """Something it needs is missing, or a process did not come up."""


_BRACED_SLOTLINK_NAMES = (
    r"\$(?:(?P<escaped>(?!))|(?P<named>(?!))|\{(?P<braced>SLOTLINK_[A-Z_]+)\}|(?P<invalid>(?!)))"
)


class NginxTemplate(Template):
    """Fills in ${SLOTLINK_...} only, as envsubst does in the nginx image: nginx's own $uri,
    $host and the like pass through untouched."""

    # Template compiles this string (Python's documented way to change what it replaces).
    pattern = _BRACED_SLOTLINK_NAMES  # type: ignore[assignment]


def default_database_url() -> str:
    """A database of its own on the server DATABASE_URL names (else 127.0.0.1:5432)."""
    base = os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if parts.scheme not in {"postgres", "postgresql"}:
        parts = urlsplit("postgres://postgres@127.0.0.1:5432/postgres")
    return urlunsplit(parts._replace(path=f"/{DEFAULT_DATABASE}"))


@dataclass
class ProdLocal:
    port: int = DEFAULT_PORT
    database_url: str = field(default_factory=default_database_url)
    state: Path = ROOT / ".prod-local"
    instances: int = 2
    workers: int = 2
    # Settings for the app servers and workers on top of production's (e.g. shorter periods).
    env: dict[str, str] = field(default_factory=dict)
    # Drop and create the database first (tests); otherwise its data outlives restarts.
    fresh_database: bool = False
    # How long start() waits for every app server to answer /readyz (longer on a busy machine).
    ready_timeout_s: float = READY_TIMEOUT_S
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    # Where things are

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def app_ports(self) -> list[int]:
        return [self.port + 1 + n for n in range(self.instances)]

    @property
    def certificate(self) -> Path:
        return self.state / "tls" / "cert.pem"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def logins_file(self) -> Path:
        return self.state / "trial-logins.txt"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def secrets(self) -> dict[str, str]:
        return json.loads((self.state / "secrets.json").read_text())

    def settings_env(self) -> dict[str, str]:
        """The environment the app servers, workers and deploy steps run with."""
        inherited = {name: os.environ[name] for name in INHERITED if name in os.environ}
        return {
            **inherited,
            **self.secrets(),
            "DJANGO_SETTINGS_MODULE": "slotlink.settings",
            "SLOTLINK_ENV": "production",
            "DATABASE_URL": self.database_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PUBLIC_BASE_URL": self.base_url,
            # One proxy, nginx, appends the address it saw to X-Forwarded-For.
            "TRUSTED_PROXY_COUNT": "1",
            "MEDIA_DIR": str(self.state / "media"),
            "STATIC_ROOT": str(self.state / "static"),
            # Texts stay in the outbox table: nothing leaves this machine.
            "SMS_PROVIDER": "outbox",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    # Starting and stopping

    def start(self) -> None:
        self.stop()
        nginx = ensure_nginx()
        ensure_postgres(self.database_url)
        ensure_database(self.database_url, fresh=self.fresh_database)
        self._prepare_state()
        self._render_nginx()
        # The deploy steps, once, before any app server starts (as in production).
        self._step("migrate", "migrate", "--noinput")
        self._step("collectstatic", "collectstatic", "--noinput")
        made = self._step("trial_service", "trial_service")
        if "authenticator key" in made or not self.logins_file.exists():
            self.logins_file.write_text(made)
            self.logins_file.chmod(0o600)
        for n, port in enumerate(self.app_ports, start=1):
            metrics = self.state / "metrics" / f"app{n}"
            self._spawn(
                f"app{n}",
                [str(ROOT / "scripts" / "serve")],
                SERVE_BIND=f"127.0.0.1:{port}",
                PROMETHEUS_MULTIPROC_DIR=str(metrics),
            )
        self.start_workers()
        nginx_dir = self.state / "nginx"
        self._spawn(
            "nginx",
            [nginx, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-e", "stderr"],
        )
        self.wait_ready(self.ready_timeout_s)

    def start_workers(self) -> None:
        for n in range(1, self.workers + 1):
            self._spawn(f"worker{n}", [str(ROOT / "scripts" / "worker")])

    def stop_workers(self) -> list[str]:
        return self._stop([f"worker{n}" for n in range(1, self.workers + 1)])

    def stop(self) -> list[str]:
        """Stop every process a start recorded here; returns their names."""
        pids = self.state / "pids"
        names = sorted(path.stem for path in pids.glob("*.pid")) if pids.exists() else []
        # nginx first, so no request reaches an app server that is going away.
        return self._stop(sorted(names, key=lambda name: name != "nginx"))

    def __enter__(self) -> ProdLocal:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Until every app server, and the site through nginx, answers /readyz with 200."""
        urls = [f"http://127.0.0.1:{port}/readyz" for port in self.app_ports]
        urls.append(f"{self.base_url}/readyz")
        deadline = time.monotonic() + timeout
        pending = list(urls)
        while pending:
            self.check_alive()
            if self.status(pending[0]) == 200:
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise ProdLocalError(f"{pending[0]} did not answer 200 within {timeout:.0f} s")
            time.sleep(0.5)

    def status(self, url: str) -> int | None:
        """The status code `url` answers with, or None when nothing answers."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        try:
            with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310  # nosec B310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    # The parts

    def _prepare_state(self) -> None:
        for sub in ("pids", "logs", "media", "static", "tls", "metrics", "nginx/temp"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        secrets_file = self.state / "secrets.json"
        if not secrets_file.exists():
            # Throwaway secrets, made once: links and texts stay readable across restarts.
            from secrets import token_urlsafe

            from cryptography.fernet import Fernet

            secrets_file.touch(mode=0o600)
            secrets_file.write_text(
                json.dumps(
                    {
                        "SECRET_KEY": token_urlsafe(50),
                        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                        "METRICS_TOKEN": token_urlsafe(32),
                    }
                )
            )
        if not self.certificate.exists():
            _run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(self.state / "tls" / "key.pem"),
                    "-out", str(self.certificate),
                ]
            )  # fmt: skip
            (self.state / "tls" / "key.pem").chmod(0o600)

    def _render_nginx(self) -> None:
        nginx_dir = self.state / "nginx"
        site = NginxTemplate(TEMPLATE.read_text()).substitute(
            SLOTLINK_UPSTREAMS=" ".join(
                f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.app_ports
            ),
            SLOTLINK_LISTEN=f"127.0.0.1:{self.port}",
            SLOTLINK_SERVER_NAME="127.0.0.1 localhost",
            SLOTLINK_TLS_CERTIFICATE=str(self.certificate),
            SLOTLINK_TLS_CERTIFICATE_KEY=str(self.state / "tls" / "key.pem"),
            SLOTLINK_MEDIA_ROOT=str(self.state / "media"),
            SLOTLINK_ACCESS_LOG=str(self.log("nginx-access")),
        )
        (nginx_dir / "slotlink.conf").write_text(site)
        temp = nginx_dir / "temp"
        (nginx_dir / "nginx.conf").write_text(
            "# Made by deploy/prod_local.py: the frame around deploy/nginx.conf.\n"
            "daemon off;\n"
            "worker_processes 1;\n"
            f"pid {nginx_dir / 'nginx.pid'};\n"
            f"error_log {self.log('nginx-error')} warn;\n"
            # Hundreds of patients' keep-alive connections (make bench-scale), each also
            # holding one to an app server while it is answered.
            "events { worker_connections 2048; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            f"    client_body_temp_path {temp / 'body'};\n"
            f"    proxy_temp_path {temp / 'proxy'};\n"
            f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
            f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"    scgi_temp_path {temp / 'scgi'};\n"
            # Responses are streamed rather than spilled to temporary files.
            "    proxy_max_temp_file_size 0;\n"
            f"    include {nginx_dir / 'slotlink.conf'};\n"
            "}\n"
        )

    def _step(self, name: str, *command: str) -> str:
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *command],
            cwd=ROOT,
            env=self.settings_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        self.log(name).write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise ProdLocalError(f"{name} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def _spawn(self, name: str, command: list[str], **env: str) -> None:
        with self.log(name).open("ab") as log:
            child = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.settings_env(), **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        self._children[name] = child
        (self.state / "pids" / f"{name}.pid").write_text(
            json.dumps({"pid": child.pid, "started": _start_time(child.pid)})
        )

    def check_alive(self) -> None:
        for name, child in self._children.items():
            if child.poll() is not None:
                tail = self.log(name).read_text(errors="replace")[-3000:]
                raise ProdLocalError(f"{name} exited ({child.returncode}):\n{tail}")

    def _stop(self, names: list[str]) -> list[str]:
        stopped = []
        for name in names:
            record = self.state / "pids" / f"{name}.pid"
            # Another stop (make prod-local-stop while `run` shuts down) may remove it first.
            try:
                saved = json.loads(record.read_text())
            except FileNotFoundError:
                continue
            pid = int(saved["pid"])
            # Only the very process recorded: a pid reused since by another is left alone.
            if _start_time(pid) == saved["started"]:
                _stop_group(pid)
                stopped.append(name)
            child = self._children.pop(name, None)
            if child is not None:
                child.wait(timeout=STOP_TIMEOUT_S)
            record.unlink(missing_ok=True)
        return stopped


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat): with the pid, it names one
    process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _stop_group(pgid: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies awaiting their parent's
    wait do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if result.returncode != 0:
        raise ProdLocalError(f"{' '.join(command[:3])}… failed:\n{result.stdout}{result.stderr}")


def ensure_nginx() -> str:
    """Debian's nginx, installed with apt-get when missing (as root, as CI runs)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if found:
        return found
    if os.geteuid() != 0:
        raise ProdLocalError("nginx is not installed: sudo apt-get install nginx")
    print("Installing nginx (Debian's package)…", flush=True)
    _run(["apt-get", "update", "-qq"])
    _run(["apt-get", "install", "-y", "-qq", "nginx"])
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _server(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def _answers(url: str) -> bool:
    import psycopg

    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        psycopg.connect(server, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def ensure_postgres(url: str) -> None:
    """PostgreSQL answers at the URL's address; on this machine it is started when it does
    not (as root with Debian's cluster tools, as .ci/run does)."""
    if _answers(url):
        return
    host, port = _server(url)
    clusters = Path("/etc/postgresql")
    if host not in {"127.0.0.1", "localhost"} or os.geteuid() != 0 or not clusters.exists():
        raise ProdLocalError(f"PostgreSQL does not answer at {host}:{port}: start it first")
    version = sorted(clusters.iterdir(), key=lambda p: [int(x) for x in p.name.split(".")])[-1]
    _run(["pg_ctlcluster", "--skip-systemctl-redirect", version.name, "main", "start"])
    for _ in range(30):
        if _answers(url):
            return
        time.sleep(1)
    raise ProdLocalError(f"PostgreSQL did not start at {host}:{port}")


def ensure_database(url: str, *, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        if fresh:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def from_environment() -> ProdLocal:
    return ProdLocal(
        port=int(os.environ.get("PROD_LOCAL_PORT", DEFAULT_PORT)),
        database_url=os.environ.get("PROD_LOCAL_DATABASE_URL") or default_database_url(),
        state=Path(os.environ.get("PROD_LOCAL_STATE", ROOT / ".prod-local")),
    )


@contextmanager
def _signals_stop(site: ProdLocal) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping…", flush=True)
        site.stop()
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else "run"
    site = from_environment()
    if action == "manage":
        # Any manage.py command against the running profile (its database, secrets, address).
        command = [PYTHON, str(ROOT / "manage.py"), *argv[2:]]
        os.execve(PYTHON, command, site.settings_env())  # noqa: S606  # nosec B606
    if action == "stop":
        stopped = site.stop()
        print(f"Stopped {', '.join(stopped)}." if stopped else "Nothing was running.")
        return 0
    if action not in {"run", "start"}:
        print(__doc__)
        return 2
    try:
        site.start()
    except ProdLocalError as error:
        site.stop()
        print(f"make prod-local: {error}", file=sys.stderr)
        return 1
    print(
        f"\nSlotlink, as in production, is at {site.base_url}/\n"
        f"  two app servers (127.0.0.1:{site.app_ports[0]}, :{site.app_ports[1]}), "
        f"{site.workers} workers, nginx with TLS, PostgreSQL database "
        f"{urlsplit(site.database_url).path.lstrip('/')}\n"
        f"  The certificate is made here and self-signed: accept it in the browser, or\n"
        f"    curl --cacert {site.certificate} {site.base_url}/readyz\n"
        f"  Staff logins (random, made once): {site.logins_file}\n"
        f"  Logs (JSON lines): {site.logs}/\n"
        "  Send a booking link:\n"
        "    .venv/bin/python -m deploy.prod_local manage send_booking_link --patient 1 "
        f'--rule "{TRIAL_RULE}"\n',
        flush=True,
    )
    if action == "start":
        print("Stop it with: make prod-local-stop", flush=True)
        return 0
    print("Ctrl+C stops it (or make prod-local-stop from another terminal).", flush=True)
    with _signals_stop(site):
        while True:
            try:
                site.check_alive()
            except ProdLocalError as error:
                print(f"make prod-local: {error}", file=sys.stderr)
                return 1
            time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
