"""A model's table and column names, quoted for the database, for the few statements written
out instead of built by the ORM on every request (where building them cost more CPU than the
database spent running them). Taken from the model, so the statements follow it as it changes;
only these names go into a statement's text, values always travel as parameters."""

from typing import NamedTuple

from django.db import connection
from django.db.models import Model


class QuotedNames(NamedTuple):
    table: str
    columns: dict[str, str]  # by field name: a foreign key `link` gives "link_id", quoted


def quoted_names(model: type[Model]) -> QuotedNames:
    quote = connection.ops.quote_name
    meta = model._meta
    return QuotedNames(
        quote(meta.db_table), {field.name: quote(field.column) for field in meta.concrete_fields}
    )
