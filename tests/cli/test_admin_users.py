"""``paywave admin create-user``: the first owner of a merchant, the password from stdin."""

import os
import subprocess
import sys

from store import merchants, users
from store.passwords import Passwords
from tests.support.accounts import PASSWORD


def create_user(config, merchant_id, email, password, role="owner"):
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    command = [sys.executable, "-m", "cli", "admin", "create-user", "--merchant", merchant_id]
    command += ["--email", email, "--role", role, "--password-stdin"]
    return subprocess.run(command, env=env, input=password + "\n", capture_output=True, text=True)


def test_create_user_prints_the_id_alone_and_makes_an_owner(config, db, merchant):
    merchants.ensure(merchant)
    email = f"first-{merchant}@example.test"
    out = create_user(config, merchant, email, PASSWORD)
    assert out.returncode == 0, out.stderr
    user_id = out.stdout.strip()
    assert user_id.startswith("usr_") and out.stdout == user_id + "\n"
    user = users.find(email)
    assert user.id == user_id and Passwords.from_config(config).verify(user.password_hash, PASSWORD)
    assert [(m.merchant_id, m.role) for m in users.memberships(user_id)] == [(merchant, "owner")]
    again = create_user(config, merchant, email.upper(), PASSWORD)
    assert again.returncode != 0 and "exists" in again.stderr


def test_create_user_refuses_bad_input_before_writing(config, db, merchant):
    merchants.ensure(merchant)
    weak = create_user(config, merchant, f"w-{merchant}@example.test", "password1234")
    assert weak.returncode != 0 and "password" in weak.stderr and weak.stdout == ""
    role = create_user(config, merchant, f"r-{merchant}@example.test", PASSWORD, role="king")
    assert role.returncode != 0 and "role" in role.stderr
    unknown = create_user(config, merchant + "zz", f"u-{merchant}@example.test", PASSWORD)
    assert unknown.returncode != 0 and "no merchant" in unknown.stderr
