"""`einvoice topology export|apply`: the procedure's RabbitMQ definitions (see ``definitions``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pika

from einvoice.ops.definitions import MissingSecrets, export, resolve_passwords, users
from einvoice.routing.table import RoutingTable
from einvoice.worker.config import WorkerConfig
from einvoice.worker.topology import Names


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("export / apply")
    g.add_argument("--vhost", help="vhost the definitions create and use; default the AMQP URL's")
    g.add_argument("--output", "-o", metavar="FILE",
                   help="export: write here (mode 0600) instead of standard output")
    g.add_argument("--secrets-dir", metavar="DIR",
                   help="files named like the users holding their passwords "
                   "(besides $EINVOICE_PASSWORD_<ROLE> and $..._FILE)")
    g.add_argument("--definitions", metavar="FILE",
                   help="apply: import this file instead of exporting one now")
    g.add_argument("--queue-type", choices=("quorum", "classic"),
                   help="export: queue type; default quorum unless $EINVOICE_QUEUE_TYPE=classic")


def _definitions(args: argparse.Namespace, config: WorkerConfig,
                 table: RoutingTable | None) -> dict[str, Any] | None:
    if table is None:
        print("einvoice topology: export needs the routing table (--routing or $EINVOICE_ROUTING): "
              "one user and queue per municipality", file=sys.stderr)
        return None
    names = Names(config.prefix)
    vhost = args.vhost or pika.URLParameters(config.amqp_url).virtual_host
    quorum = (args.queue_type or config.queue_type) != "classic"
    try:
        passwords = resolve_passwords(users(names, table), secrets_dir=args.secrets_dir)
    except MissingSecrets as exc:
        print(f"einvoice topology: {exc}", file=sys.stderr)
        return None
    return export(names, table, vhost=vhost, passwords=passwords, quorum=quorum,
                  retry_delay_ms=config.retry_delay_ms, delivery_limit=config.delivery_limit)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def run(args: argparse.Namespace, config: WorkerConfig, table: RoutingTable | None) -> int:
    if args.action == "export":
        defs = _definitions(args, config, table)
        if defs is None:
            return 2
        text = json.dumps(defs, indent=2, ensure_ascii=False) + "\n"
        if args.output and args.output != "-":
            _write_private(Path(args.output), text)
            print(f"einvoice topology: wrote {args.output} (vhost {defs['vhosts'][0]['name']}, "
                  f"{len(defs['users'])} users, {len(defs['queues'])} queues)", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    # apply: rabbitmqctl on this host (no management plugin needed).
    ctl = os.environ.get("RABBITMQCTL") or shutil.which("rabbitmqctl")
    if not ctl:
        print("einvoice topology apply: rabbitmqctl not found (set $RABBITMQCTL), or import the "
              "exported file with `rabbitmqctl import_definitions FILE`", file=sys.stderr)
        return 2
    if args.definitions:
        try:
            text = Path(args.definitions).read_text(encoding="utf-8")
        except OSError as exc:
            print(f"einvoice topology apply: {args.definitions}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        return _import(ctl, text, args.definitions)
    defs = _definitions(args, config, table)
    if defs is None:
        return 2
    return _import(ctl, json.dumps(defs), "the exported definitions")


def _import(ctl: str, text: str, what: str) -> int:
    # Standard input first: no copy of the password hashes on disk, and rabbitmqctl may run as
    # the broker's user, who cannot read our private files. RabbitMQ 3.10 refuses "-" as a file
    # name, so then a private temporary file, handed to the broker's user when we are root.
    try:
        done = _run(ctl, "-", text)
        if done.returncode != 0 and "does not exist" in (done.stderr + done.stdout):
            with tempfile.TemporaryDirectory(prefix="einvoice-defs-") as tmp:
                path = Path(tmp) / "definitions.json"
                _write_private(path, text)
                _hand_to_broker_user(Path(tmp), path)
                done = _run(ctl, str(path), None)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"einvoice topology apply: {exc}", file=sys.stderr)
        return 2
    if done.returncode != 0:
        print(f"einvoice topology apply: rabbitmqctl failed: {(done.stderr or done.stdout).strip()}",
              file=sys.stderr)
        return 2
    print(f"einvoice topology: imported {what}", file=sys.stderr)
    return 0


def _run(ctl: str, source: str, text: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ctl, "import_definitions", source], input=text, capture_output=True,
                          text=True, timeout=120, check=False)


def _hand_to_broker_user(directory: Path, path: Path) -> None:
    """Debian's rabbitmqctl wrapper runs the CLI as 'rabbitmq' when called by root."""
    if os.geteuid() != 0:
        return
    try:
        import pwd

        broker = pwd.getpwnam(os.environ.get("RABBITMQ_USER", "rabbitmq"))
    except (ImportError, KeyError):
        return
    os.chown(directory, broker.pw_uid, broker.pw_gid)
    os.chown(path, broker.pw_uid, broker.pw_gid)
