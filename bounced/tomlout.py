"""Write plain configuration data back as TOML (``bounced config check`` prints the effective config).

Only what ``bounced.config.to_dict`` produces: tables, arrays of tables, strings, numbers, booleans
and lists of strings. The output loads back to the same configuration.
"""
from __future__ import annotations

import json
from typing import Any


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(data: dict[str, Any], prefix: str = "") -> str:
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_table_list(v)}
    for k, v in scalars.items():
        lines.append(f"{k} = {_value(v)}")
    for k, v in data.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            lines.append("")
            lines.append(f"[{name}]")
            body = dumps(v, name)
            if body:
                lines.append(body)
        elif _is_table_list(v):
            for item in v:
                lines.append("")
                lines.append(f"[[{name}]]")
                lines.append(dumps(item, name))
    return "\n".join(lines).strip("\n")
