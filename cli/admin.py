"""``paywave admin``: operators' commands on payments that wait for a person.

``paywave admin resolve PAYMENT_ID --as succeeded|failed --reference REF [--reason TEXT]`` settles a
``requires_review`` payment of any merchant exactly as ``POST /admin/payments/{id}/resolve`` does
(same validation, event, audit row and cache update), in the name of the OS user running it.
"""

import getpass
import sys


def add_parser(sub):
    """Add ``admin`` and its subcommands to the ``paywave`` parser's ``sub``. Returns the ``admin`` parser."""
    from store.states import SETTLED

    admin = sub.add_parser("admin", help="operator actions: settle a payment that awaits review")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    resolve = commands.add_parser("resolve", help="settle a requires_review payment (audited)")
    resolve.add_argument("payment_id")
    resolve.add_argument(
        "--as",
        dest="status",
        required=True,
        choices=list(SETTLED),
        help="succeeded: the gateway captured the money; failed: it moved none",
    )
    resolve.add_argument("--reference", required=True, help="the gateway's id, or a ticket, that proves it")
    resolve.add_argument("--reason", default=None)
    return admin


def run(config, args):
    """Run ``args.admin_command`` against ``config``'s database and cache.

    Raises:
      SystemExit: with the reason, when the input is invalid or the payment is unknown or not under review.
    """
    from ingress import validation
    from ingress.errors import ValidationFailed
    from shared.cache import build_cache
    from store import payments
    from store.db import open_database
    from store.errors import NotFound, StateConflict
    from store.unit import Unit

    try:
        status, reference, reason = validation.resolution(
            {"status": args.status, "reference": args.reference, "reason": args.reason}
        )
    except ValidationFailed as exc:
        raise SystemExit("; ".join(f"{e['field']} {e['reason']}" for e in exc.errors)) from None
    open_database(config.database_url)
    try:
        with Unit(cache=build_cache(config)):
            _, body = payments.settle(args.payment_id, status, reference, reason, f"cli:{getpass.getuser()}")
    except NotFound:
        raise SystemExit(f"no payment {args.payment_id}") from None
    except StateConflict as exc:
        raise SystemExit(str(exc)) from None
    sys.stdout.write(body.decode() + "\n")
