"""The exported RabbitMQ definitions: permissions grant exactly each role's resources."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from einvoice.cli import main
from einvoice.ops.definitions import (
    MissingSecrets,
    export,
    password_hash,
    resolve_passwords,
    user_name,
    users,
)
from einvoice.routing import parse_table
from einvoice.worker.topology import Names, plan

TABLE = parse_table({
    "procedure": {"name": "Test"},
    "municipalities": [
        {"id": "stadt-a", "name": "Stadt A", "leitweg_ids": ["16068058"]},
        {"id": "stadt-b", "name": "Stadt B", "leitweg_ids": ["16068051"]},
    ],
})
NAMES = Names("proc.x")  # a prefix with a regex metacharacter on purpose


def perms() -> dict[str, dict[str, str]]:
    # A hyphen never occurs in base64, so the password cannot turn up inside a hash by chance.
    pw = {u.name: "plain-secret" for u in users(NAMES, TABLE)}
    defs = export(NAMES, TABLE, vhost="v", passwords=pw)
    return {p["user"]: p for p in defs["permissions"]}


def allowed(pattern: str, name: str) -> bool:
    return re.search(pattern, name) is not None


EVERY = [
    "proc.x.inbound", "proc.x.dlx", "proc.x.rejected", "proc.x.unroutable", "proc.x.retry",
    "proc.x.failed", "proc.x.accounting.stadt-a", "proc.x.accounting.stadt-b", "amq.default",
    "procXx.inbound", "other.inbound", "proc.x.inboundX", "xproc.x.inbound",
]


def granted(user: str, kind: str) -> set[str]:
    return {n for n in EVERY if allowed(perms()[user][kind], n)}


def test_publisher_writes_only_inbound_and_reads_nothing() -> None:
    u = user_name("proc.x", "publisher")
    assert granted(u, "write") == {"proc.x.inbound"}
    assert granted(u, "read") == set() and granted(u, "configure") == set()


def test_municipality_reads_only_its_own_queue() -> None:
    u = user_name("proc.x", "municipality", "stadt-a")
    assert granted(u, "read") == {"proc.x.accounting.stadt-a"}
    assert granted(u, "write") == set() and granted(u, "configure") == set()


def test_worker_and_admin_stay_inside_the_procedure() -> None:
    w = user_name("proc.x", "worker")
    assert granted(w, "read") == {"proc.x.inbound", "proc.x.retry", "proc.x.dlx"}
    assert granted(w, "write") == {"amq.default", "proc.x.dlx", "proc.x.inbound", "proc.x.failed"}
    assert granted(w, "configure") == set(EVERY[:8])
    a = user_name("proc.x", "admin")
    assert granted(a, "read") == set(EVERY[:8]) | {"proc.x.inboundX"}
    assert "other.inbound" not in granted(a, "write") and "procXx.inbound" not in granted(a, "write")


def test_queues_match_what_the_worker_declares() -> None:
    # A hyphen never occurs in base64, so the password cannot turn up inside a hash by chance.
    pw = {u.name: "plain-secret" for u in users(NAMES, TABLE)}
    defs = export(NAMES, TABLE, vhost="v", passwords=pw, quorum=True, retry_delay_ms=1234,
                  delivery_limit=7)
    p = plan(NAMES, TABLE, quorum=True, retry_delay_ms=1234, delivery_limit=7)
    assert {q["name"]: q["arguments"] for q in defs["queues"]} == {q.name: q.arguments for q in p.queues}
    assert all(q["durable"] and q["vhost"] == "v" for q in defs["queues"])
    assert {(b["source"], b["destination"]) for b in defs["bindings"]} == {
        (b.exchange, b.queue) for b in p.bindings}
    assert defs["vhosts"][0]["name"] == "v"
    assert {u["name"] for u in defs["users"]} == set(pw)
    assert "plain-secret" not in json.dumps(defs["users"])
    [policy] = defs["policies"]
    assert re.search(policy["pattern"], "proc.x.failed") and not re.search(policy["pattern"],
                                                                          "proc.x.inbound")


def test_password_hash_is_rabbitmq_sha256_scheme() -> None:
    h = base64.b64decode(password_hash("secret", salt=b"\x01\x02\x03\x04"))
    assert h[:4] == b"\x01\x02\x03\x04"
    assert h[4:] == hashlib.sha256(b"\x01\x02\x03\x04secret").digest()
    assert password_hash("secret") != password_hash("secret")  # salted


def test_passwords_from_env_file_variable_and_secrets_dir(tmp_path: Path) -> None:
    specs = users(NAMES, TABLE)
    (tmp_path / "pw-admin").write_text("from-file-var\n")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / user_name("proc.x", "municipality", "stadt-b")).write_text("from-dir\n")
    env = {"EINVOICE_PASSWORD_PUBLISHER": "p", "EINVOICE_PASSWORD_WORKER": "w",
           "EINVOICE_PASSWORD_ADMIN_FILE": str(tmp_path / "pw-admin"),
           "EINVOICE_PASSWORD_MUNICIPALITY_STADT_A": "a"}
    got = resolve_passwords(specs, env, secrets)
    assert got[user_name("proc.x", "admin")] == "from-file-var"
    assert got[user_name("proc.x", "municipality", "stadt-b")] == "from-dir"
    assert got[user_name("proc.x", "municipality", "stadt-a")] == "a"
    with pytest.raises(MissingSecrets, match="stadt-b"):
        resolve_passwords(specs, env, None)


def test_cli_export_refuses_without_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    for var in [u.password_variable for u in users(Names("einvoice"), TABLE)]:
        monkeypatch.delenv(var, raising=False)
    routing = tmp_path / "r.toml"
    routing.write_text('[procedure]\nname = "T"\n[[municipalities]]\nid = "stadt-a"\n'
                       'name = "A"\nleitweg_ids = ["16068058"]\n')
    out = tmp_path / "defs.json"
    assert main(["topology", "export", "--routing", str(routing), "-o", str(out)]) == 2
    assert "no password for" in capsys.readouterr().err and not out.exists()
    monkeypatch.setenv("EINVOICE_PASSWORD_PUBLISHER", "p")
    monkeypatch.setenv("EINVOICE_PASSWORD_WORKER", "w")
    monkeypatch.setenv("EINVOICE_PASSWORD_ADMIN", "a")
    monkeypatch.setenv("EINVOICE_PASSWORD_MUNICIPALITY_STADT_A", "m")
    assert main(["topology", "export", "--routing", str(routing), "-o", str(out),
                 "--vhost", "kfv"]) == 0
    defs = json.loads(out.read_text())
    assert out.stat().st_mode & 0o777 == 0o600
    assert defs["vhosts"] == [{"name": "kfv", "limits": [], "metadata": defs["vhosts"][0]["metadata"]}]
    assert [u["name"] for u in defs["users"]] == ["einvoice-publisher", "einvoice-worker",
                                                  "einvoice-admin", "einvoice-municipality-stadt-a"]
