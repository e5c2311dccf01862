"""``bounced parse``: parse returned mail files and print what bounced makes of them."""
from __future__ import annotations

import sys
from typing import Any

import click

from bounced.render import json_line, safe


def _options(config_path: str | None, local_parts: tuple[str, ...], delimiter: str | None,
             headers: tuple[str, ...]):  # noqa: ANN202 - ParseOptions
    from bounced.parse import ParseOptions

    opts = ParseOptions()
    if config_path:
        from bounced.config import ConfigError, load
        from bounced.ingest import parse_options

        try:
            opts = parse_options(load(config_path))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    changes: dict[str, Any] = {}
    if local_parts:
        changes["bounce_local_parts"] = tuple(local_parts)
    if delimiter:
        changes["verp_delimiter"] = delimiter
    if headers:
        changes["extra_headers"] = tuple(dict.fromkeys((*opts.extra_headers, *headers)))
    if changes:
        from dataclasses import replace

        opts = replace(opts, **changes)
    return opts


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def _summary_lines(path: str, obj: dict[str, Any]) -> list[str]:
    if obj.get("error") and not obj.get("recipients"):
        return [f"{path}: error: {obj['error']}"]
    recs = obj.get("recipients") or []
    if not recs:
        return [f"{path}: {obj.get('format')}: no recipients"]
    lines = []
    for r in recs:
        status = r.get("status") or "-"
        extra = f" {r['feedback_type']}" if r.get("feedback_type") else ""
        diag = (r.get("diagnostic") or "")[:100]
        lines.append(f"{path}: {obj.get('format')} {r['recipient']} {r['kind']} {r['reason']}{extra} {status}"
                     + (f"  {diag}" if diag else ""))
    return lines


@click.command("parse")
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line (JSON Lines).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Take bounce local parts, VERP delimiter and extra headers from this config file.")
@click.option("--local-part", "local_parts", multiple=True, help="A bounce local part for VERP (repeatable).")
@click.option("--delimiter", default=None, help="VERP delimiter (default '+').")
@click.option("--header", "headers", multiple=True, help="An extra header of the original to report (repeatable).")
@click.option("--envelope-rcpt", default=None, help="The envelope recipient the bounce was sent to (VERP).")
def parse_cmd(files: tuple[str, ...], as_json: bool, config_path: str | None, local_parts: tuple[str, ...],
              delimiter: str | None, headers: tuple[str, ...], envelope_rcpt: str | None) -> None:
    """Parse returned mail files (or - for standard input) and print the result.

    Example: bounced parse --json /var/mail/bounces/*.eml
    """
    from bounced.parse import parse_message

    opts = _options(config_path, local_parts, delimiter, headers)
    failed = 0
    out = sys.stdout
    for path in files:
        try:
            raw = _read(path)
        except OSError as exc:
            failed += 1
            obj: dict[str, Any] = {"file": path, "format": "unknown", "message_id": None, "original_message_id": None,
                                   "original_headers": {}, "recipients": [],
                                   "error": f"cannot read {path}: {exc.strerror or exc}"}
        else:
            result = parse_message(raw, opts, envelope_rcpt)
            obj = {"file": path, **result.to_dict()}
        if as_json:
            out.write(json_line(obj) + "\n")
        else:  # a bounce's text can carry terminal escape sequences: shown escaped
            out.write("\n".join(safe(line, newlines=False) for line in _summary_lines(path, obj)) + "\n")
    out.flush()
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} file(s) could not be read")


def register(group: click.Group) -> None:
    group.add_command(parse_cmd)
