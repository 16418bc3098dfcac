"""The database handle: a transaction's BEGIN travels with its first statement, and
statements sent together are all or nothing."""

import peewee
import pytest

from store.db import database, insert_statement, run_together
from store.models import Merchant, utcnow


class Boom(Exception):
    pass


def merchants(*ids):
    return Merchant.select().where(Merchant.id.in_(ids)).count()


def test_a_transaction_is_whole_though_its_begin_is_sent_with_its_first_statement(db, merchant):
    with pytest.raises(Boom), database.atomic():
        Merchant.insert(id=merchant, created_at=utcnow()).execute()
        raise Boom
    assert merchants(merchant) == 0
    with database.atomic():
        Merchant.insert(id=merchant, created_at=utcnow()).execute()
    assert merchants(merchant) == 1


def test_an_empty_transaction_and_one_opened_on_a_closed_connection_work(database_url, merchant):
    if not database.is_closed():
        database.close()
    with database.atomic():
        pass
    with database.atomic():  # opens the connection itself, inside the transaction
        Merchant.insert(id=merchant, created_at=utcnow()).execute()
        with database.atomic():  # a savepoint
            Merchant.insert(id=merchant + "_2", created_at=utcnow()).execute()
    assert merchants(merchant, merchant + "_2") == 2
    database.close()


def test_statements_run_together_are_all_or_nothing(db, merchant):
    first = insert_statement(Merchant(id=merchant, display_name=merchant, created_at=utcnow()))
    with pytest.raises(peewee.IntegrityError):
        run_together([first, first])  # the second collides with the first
    assert merchants(merchant) == 0
    with pytest.raises(peewee.IntegrityError), database.atomic():
        run_together([first])
        run_together([first])
    assert merchants(merchant) == 0
    assert run_together([first]) == 1 and merchants(merchant) == 1
