"""A service at the size issue 18 measures: a million patients and five million booking links.

    manage.py scale_data [--patients 1000000] [--links-per-patient 5] [--therapists 200]

PostgreSQL only: rows go in through COPY, many times faster than INSERTs. Made-up people with
Ofcom's drama mobiles and checksum-valid NHS numbers starting 99 (no real patient's), surnames
from a few thousand made-up ones so that a name search finds tens or hundreds, not half the
caseload. Each patient's links are spread over the last two years; links older than their
validity ended up booked (one in ten, with an appointment in a therapist's diary), expired or
withdrawn, the rest are sent or opened; every link has its "sent" event and, when it moved
on, the event that moved it. Every link holds the same encrypted placeholder token, and its
hash is its id written out: the tokens are never used, and encrypting five million would take
most of the run.

Prints what it made and how long each table took; a service made earlier with the same size
is renamed out of the way, never deleted."""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Any

import nhs_number
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from psycopg import sql

from slotlink.booking.models import BroadcastRule
from slotlink.clinic.models import AppointmentType, Role, Service, Therapist, User
from slotlink.lib.crypto import encrypt
from slotlink.ops.demo import FIRST_NAMES, drama_mobile

SYLLABLES = ["ash", "bar", "cot", "dun", "el", "fen", "gar", "hol", "ing", "kel", "lan", "mor"]
SYLLABLES += ["nor", "ock", "pen", "ril", "sam", "ton", "ud", "vel", "wick", "yar", "zel", "by"]
DAY = timedelta(days=1)
LOADED = ["clinic_patient", "booking_bookinglink", "clinic_appointment", "booking_bookinglinkevent"]
HISTORY_DAYS = 730
BOOKED_SHARE = 0.1
EXPIRED_SHARE = 0.8  # of those not booked, once past their validity; the rest withdrawn


def surname(n: int) -> str:
    """One of 24³ made-up surnames."""
    first, rest = divmod(n, len(SYLLABLES) ** 2)
    second, third = divmod(rest, len(SYLLABLES))
    return (SYLLABLES[first] + SYLLABLES[second] + SYLLABLES[third]).capitalize()


def nhs_numbers() -> Iterator[str]:
    """Checksum-valid ten-digit numbers starting 99, in order."""
    for base in range(990_000_000, 1_000_000_000):
        candidate = str(base)
        check = nhs_number.calculate_checksum(candidate)
        if check != 10:  # 10 means no number has these nine digits
            yield f"{candidate}{check}"


class Command(BaseCommand):
    help = "Make a service with a million patients and five million booking links (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=1_000_000)
        parser.add_argument("--links-per-patient", type=int, default=5)
        parser.add_argument("--therapists", type=int, default=200)

    def handle(
        self, *args: Any, patients: int, links_per_patient: int, therapists: int, **options: Any
    ) -> None:
        if patients < 1 or links_per_patient < 1 or therapists < 1:
            raise CommandError(
                "--patients, --links-per-patient and --therapists must be 1 or more."
            )
        if connection.vendor != "postgresql":
            raise CommandError("scale_data needs PostgreSQL (it loads rows with COPY).")
        began = perf_counter()
        with transaction.atomic():
            rule, admin = self._service(patients, therapists)
            with self._set_aside(LOADED):
                self._patients(rule.service_id, patients)
                self._links(rule, admin, links_per_patient)
        with connection.cursor() as cursor:
            self._timed("analyze", lambda: cursor.execute("VACUUM ANALYZE"))
        self.stdout.write(
            f"Service {rule.service_id} (admin user {admin.username!r}): {patients} patients, "
            f"{patients * links_per_patient} links, in {perf_counter() - began:.0f} s."
        )

    @contextmanager
    def _set_aside(self, tables: list[str]) -> Iterator[None]:
        """Load `tables` without their foreign keys and plain indexes, then put them back as
        they were. Otherwise PostgreSQL checks each row's foreign keys one at a time when the
        transaction commits (12 of 36 minutes at full size) and updates every index row by
        row; added afterwards, each key is checked and each index built in one pass. The
        tables stay locked meanwhile: run this on a database nobody is using."""
        with connection.cursor() as cursor:
            # The service's rows made just before have their key checks pending, and a table
            # with pending checks cannot be altered: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [tables],
            )
            keys = cursor.fetchall()
            # Indexes that back no constraint (unique and primary keys stay: they are
            # what the load must not break).
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid)"
                " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS"
                " (SELECT 1 FROM pg_constraint WHERE conindid = i.indexrelid)",
                [tables],
            )
            indexes = cursor.fetchall()
            # pg_get_indexdef leaves out a column's statistics target (clinic 0019's).
            cursor.execute(
                "SELECT c.relname, a.attnum, a.attstattarget FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_attribute a ON a.attrelid = i.indexrelid"
                " WHERE i.indrelid::regclass::text = ANY(%s) AND a.attstattarget > 0",
                [tables],
            )
            targets = cursor.fetchall()
            for table, name, _ in keys:
                cursor.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        sql.Identifier(table), sql.Identifier(name)
                    )
                )
            for name, _ in indexes:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        yield

        def put_back() -> None:
            with connection.cursor() as cursor:
                for _, definition in indexes:
                    cursor.execute(definition)
                for name, column, target in targets:
                    cursor.execute(
                        sql.SQL("ALTER INDEX {} ALTER COLUMN {} SET STATISTICS {}").format(
                            sql.Identifier(name), sql.Literal(column), sql.Literal(target)
                        )
                    )
                for table, name, definition in keys:
                    cursor.execute(
                        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                            sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
                        )
                    )

        self._timed("indexes and foreign keys", put_back)

    def _timed(self, what: str, action: Any) -> Any:
        began = perf_counter()
        result = action()
        self.stdout.write(f"{what}: {perf_counter() - began:.1f} s")
        return result

    def _service(self, patients: int, therapists: int) -> tuple[BroadcastRule, User]:
        name = f"Scale {patients}"
        Service.objects.filter(name=name).update(
            name=f"{name} (old {datetime.now(UTC):%Y%m%d%H%M%S})"
        )
        service = Service.objects.create(
            name=name, phone="0113 496 0999", online_booking_enabled=True
        )
        staff = Therapist.objects.bulk_create(
            Therapist(service=service, name=f"Therapist {i:04d}") for i in range(therapists)
        )
        kind = AppointmentType.objects.create(service=service, name="CBT", duration_minutes=60)
        rule = BroadcastRule.objects.create(
            service=service, title="Assessment", appointment_type=kind
        )
        rule.therapists.set(staff)
        admin = User.objects.create(
            username=f"scale-admin-{service.pk}", role=Role.ADMIN, service=service
        )
        return rule, admin

    def _copy(self, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
        def load() -> None:
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg's own cursor, which speaks COPY
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
                )
                with raw.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)

        self._timed(table, load)

    def _next_ids(self, table: str, count: int) -> int:
        """Reserve `count` ids of `table`; returns the first."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            last = cursor.fetchone()[0]
        return int(last) - count + 1

    def _patients(self, service_id: int, count: int) -> None:
        rng = random.Random(18)  # noqa: S311  # nosec B311 - made-up data, reproducible
        self.first_patient = self._next_ids("clinic_patient", count)
        self.patient_count = count
        numbers = nhs_numbers()
        born_from = date(1940, 1, 1)
        self._copy(
            "clinic_patient",
            [
                "id",
                "service_id",
                "first_name",
                "last_name",
                "date_of_birth",
                "nhs_number",
                "mobile",
                "email",
                "do_not_sms",
                "preferred_language",
            ],
            (
                (
                    self.first_patient + n,
                    service_id,
                    rng.choice(FIRST_NAMES),
                    surname(rng.randrange(len(SYLLABLES) ** 3)),
                    born_from + DAY * rng.randrange(25_000),
                    next(numbers),
                    drama_mobile(n),
                    "",
                    False,
                    "en",
                )
                for n in range(count)
            ),
        )

    def _links(self, rule: BroadcastRule, admin: User, per_patient: int) -> None:
        rng = random.Random(5)  # noqa: S311  # nosec B311 - made-up data, reproducible
        count = self.patient_count * per_patient
        first_link = self._next_ids("booking_bookinglink", count)
        now = datetime.now(UTC).replace(microsecond=0)
        valid = DAY * rule.link_valid_days
        placeholder = encrypt("placeholder-token-never-sent")
        therapists = list(rule.therapists.values_list("pk", flat=True))
        links: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        bookings: list[tuple[int, int, datetime]] = []  # link, patient, when booked
        for n in range(count):
            link = first_link + n
            patient = self.first_patient + n // per_patient
            created = now - timedelta(seconds=rng.randrange(HISTORY_DAYS * 86_400))
            expires = created + valid
            draw = rng.random()
            if draw < BOOKED_SHARE:
                status = "booked"
                moved = created + timedelta(seconds=rng.randrange(int(valid.total_seconds())))
                bookings.append((link, patient, min(moved, now)))
            elif expires > now:
                status = "accessed" if draw < 0.5 else "sent"
                moved = created + timedelta(
                    seconds=rng.randrange(max(1, int((now - created).total_seconds())))
                )
            else:
                status = "expired" if draw < BOOKED_SHARE + EXPIRED_SHARE else "deleted"
                moved = expires if status == "expired" else created + valid / 2
            links.append(
                (
                    link,
                    rule.service_id,
                    patient,
                    rule.pk,
                    # In id order, unlike real hashes: the unique index then grows at its end
                    # instead of rewriting random pages (several times faster to load). No
                    # token hashes to these; lookups cost the same either way.
                    f"{link:064x}",
                    placeholder,
                    status,
                    admin.pk,
                    created,
                    expires,
                    # The time of the event that moved it, where the link keeps one.
                    moved if status == "accessed" else None,
                    moved if status == "booked" else None,
                    moved if status == "expired" else None,
                )
            )
            events.append((link, "", "sent", created, "staff", admin.pk))
            if status != "sent":
                actor = (
                    "system"
                    if status == "expired"
                    else "staff"
                    if status == "deleted"
                    else "patient"
                )
                events.append(
                    (link, "sent", status, moved, actor, admin.pk if actor == "staff" else None)
                )
        self._copy(
            "booking_bookinglink",
            [
                "id",
                "service_id",
                "patient_id",
                "rule_id",
                "token_hash",
                "token_encrypted",
                "status",
                "sent_by_id",
                "created_at",
                "expires_at",
                "accessed_at",
                "booked_at",
                "expired_at",
            ],
            iter(links),
        )
        del links
        first_appointment = self._next_ids("clinic_appointment", len(bookings))
        self._copy(
            "clinic_appointment",
            [
                "id",
                "service_id",
                "therapist_id",
                "patient_id",
                "appointment_type_id",
                "start",
                "end",
                "medium",
                "location",
                "location_cy",
                "status",
                "source",
                "booking_link_id",
                "cancellation_reason",
                "created_at",
            ],
            (
                # Each therapist's appointments an hour apart, so none overlaps another.
                (
                    first_appointment + n,
                    rule.service_id,
                    therapists[n % len(therapists)],
                    patient,
                    rule.appointment_type_id,
                    _slot(now, n // len(therapists)),
                    _slot(now, n // len(therapists)) + timedelta(minutes=50),
                    rule.medium,
                    rule.location,
                    rule.location_cy,
                    "booked",
                    "online",
                    link,
                    "",
                    when,
                )
                for n, (link, patient, when) in enumerate(bookings)
            ),
        )
        appointment_of = {link: first_appointment + n for n, (link, _, _) in enumerate(bookings)}
        self._copy(
            "booking_bookinglinkevent",
            [
                "link_id",
                "from_status",
                "to_status",
                "occurred_at",
                "actor_kind",
                "actor_id",
                "reason",
                "appointment_id",
            ],
            (
                (*event, "", appointment_of.get(event[0]) if event[2] == "booked" else None)
                for event in events
            ),
        )


def _slot(now: datetime, n: int) -> datetime:
    """The n-th hour from two years ago: a therapist's n-th appointment."""
    return now.replace(minute=0, second=0) - DAY * HISTORY_DAYS + timedelta(hours=n)
