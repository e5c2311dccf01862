"""config/bounced.toml documents the defaults exactly; `bounced config check` validates and prints."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounced.cli import main
from bounced.config import Config, from_dict, load_file, to_dict

SAMPLE = Path(__file__).resolve().parent.parent / "config" / "bounced.toml"


def keys(data: dict, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for k, v in data.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and k != "reason_kinds":
            out |= keys(v, name)
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for item in v:
                out |= keys(item, name)
        else:
            out.add(name)
    return out


def test_sample_config_is_exactly_the_defaults() -> None:
    cfg = load_file(SAMPLE)
    assert cfg == Config()
    assert cfg.source == str(SAMPLE)


def test_sample_config_names_every_setting() -> None:
    written = keys(tomllib.loads(SAMPLE.read_text()))
    assert written == keys(to_dict(Config()))


def test_sample_config_comments_every_section_key() -> None:
    """Each setting line is preceded by a comment (or belongs to a commented group)."""
    lines = SAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            back = i - 1
            while back >= 0 and "=" in lines[back] and not lines[back].startswith("#"):
                back -= 1
            assert back >= 0 and (lines[back].startswith("#") or lines[back].startswith("[")), line


def test_config_check_prints_a_config_that_loads_back(tmp_path: Path) -> None:
    data = {
        "server": {"listeners": [{"host": "127.0.0.1", "port": 2525}, {"host": "::1", "port": 2424, "lmtp": True}],
                   "max_recipients": 7},
        "bounce": {"domains": ["bounces.example.org"], "original_headers": ["X-Campaign-ID"]},
        "policy": {"reason_kinds": {"mailbox_full": "hard"}},
    }
    src = tmp_path / "in.toml"
    src.write_text(
        '[server]\nmax_recipients = 7\n[[server.listeners]]\nhost = "127.0.0.1"\nport = 2525\n'
        '[[server.listeners]]\nhost = "::1"\nport = 2424\nlmtp = true\n'
        '[bounce]\ndomains = ["bounces.example.org"]\noriginal_headers = ["X-Campaign-ID"]\n'
        '[policy.reason_kinds]\nmailbox_full = "hard"\n')
    r = CliRunner().invoke(main, ["config", "check", str(src)])
    assert r.exit_code == 0, r.output
    assert str(src) in r.output.splitlines()[0]
    printed = tomllib.loads(r.output)
    assert from_dict(printed) == from_dict(data) == load_file(src)


def test_config_check_without_file_uses_the_environment(tmp_path: Path) -> None:
    src = tmp_path / "env.toml"
    src.write_text("[server]\nmax_connections = 3\n")
    r = CliRunner().invoke(main, ["config", "check"], env={"BOUNCED_CONFIG": str(src)})
    assert r.exit_code == 0, r.output
    assert tomllib.loads(r.output)["server"]["max_connections"] == 3


@pytest.mark.parametrize("text,key", [
    ("[server]\nmax_conections = 3\n", "server.max_conections"),
    ("[server]\nmax_connections = \"many\"\n", "server.max_connections"),
    ("[server]\nmax_message_size = 0\n", "server.max_message_size"),
    ("[[server.listeners]]\nport = 70000\n", "server.listeners[0].port"),
    ("[bounce]\nverp_delimiter = \"++\"\n", "bounce.verp_delimiter"),
    ("[server]\ntls_cert = \"/etc/ssl/x.pem\"\n", "server.tls_cert"),
    ("[policy.reason_kinds]\nmailbox_full = \"deadly\"\n", "policy.reason_kinds.mailbox_full"),
    ("[log]\nformat = \"xml\"\n", "log.format"),
    ("[server\n", "-"),
], ids=["unknown-key", "wrong-type", "zero-size", "bad-port", "long-delimiter", "cert-without-key",
        "unknown-kind", "bad-choice", "not-toml"])
def test_config_check_names_key_and_file(tmp_path: Path, text: str, key: str) -> None:
    src = tmp_path / "bad.toml"
    src.write_text(text)
    r = CliRunner().invoke(main, ["config", "check", str(src)])
    assert r.exit_code != 0
    assert isinstance(r.exception, SystemExit)  # a ClickException, not a crash
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(src) in lines[0] and f": {key}:" in lines[0], r.output


def test_config_check_missing_file(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["config", "check", str(tmp_path / "nope.toml")])
    assert r.exit_code != 0 and "file not found" in r.output and "nope.toml" in r.output


@pytest.mark.parametrize("text,expected", [
    ('[[server.listeners]]\nport = 2600\n[[server.listeners]]\nport = 2600\nlmtp = true\n',
     "server.listeners[1]: 127.0.0.1:2600 is also server.listeners[0]"),
    ('[[server.listeners]]\nhost = "0.0.0.0"\nport = 2601\n[metrics]\nport = 2601\n',
     "metrics.port: 127.0.0.1:2601 is also server.listeners[0] (0.0.0.0:2601)"),
    ('[store]\npath = "{tmp}/missing/b.db"\n', "b.db: directory {tmp}/missing does not exist"),
    ('[server]\ntls_cert = "{tmp}/nope.pem"\ntls_key = "{tmp}/nope.key"\n', "server.tls_cert: {tmp}/nope.pem does not exist"),
], ids=["duplicate-listener", "metrics-on-listener", "missing-store-dir", "missing-tls"])
def test_config_check_refuses_what_serve_would(tmp_path: Path, text: str, expected: str) -> None:
    src = tmp_path / "c.toml"
    body = text.format(tmp=tmp_path)
    if "[store]" not in body:
        body += f'[store]\npath = "{tmp_path}/b.db"\n'
    src.write_text(body)
    r = CliRunner().invoke(main, ["config", "check", str(src)])
    assert r.exit_code == 1 and expected.format(tmp=tmp_path) in r.output, r.output


def test_config_check_names_the_user_of_an_unwritable_directory() -> None:
    """Checked as the user the process acts as: root drops to nobody for the check, as the service
    runs as an unprivileged user."""
    import os
    import pwd
    import shutil
    import tempfile

    from bounced.configcheck import problems
    from bounced.config import from_dict

    base = Path(tempfile.mkdtemp(prefix="bounced-cc-"))
    try:
        os.chmod(base, 0o755)
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        cfg = from_dict({"store": {"path": str(locked / "b.db")}})
        user = pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            user = "nobody"
            os.seteuid(pwd.getpwnam("nobody").pw_uid)
        try:
            found = problems(cfg)
        finally:
            if user == "nobody":
                os.seteuid(0)
        assert found == [f"store.path: {locked}/b.db: directory {locked} is not writable by {user} "
                         f"(uid {pwd.getpwnam(user).pw_uid}) (SQLite writes its journal beside the database)"]
    finally:
        shutil.rmtree(base)


def test_serve_names_an_unwritable_directory_and_the_user(tmp_path: Path) -> None:
    """`bounced serve` says the directory is not writable and by whom, not "not a usable database"."""
    import os
    import pwd
    import shutil
    import tempfile

    from bounced.config import from_dict
    from bounced.daemon import open_real_store
    from bounced.store import StoreError

    base = Path(tempfile.mkdtemp(prefix="bounced-cc-"))
    try:
        os.chmod(base, 0o755)
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        cfg = from_dict({"store": {"path": str(locked / "b.db")}})
        root = os.geteuid() == 0
        if root:
            os.seteuid(pwd.getpwnam("nobody").pw_uid)
        try:
            with pytest.raises(StoreError) as err:
                open_real_store(cfg)
        finally:
            if root:
                os.seteuid(0)
        assert f"directory {locked} is not writable by" in str(err.value)
        assert "not a usable" not in str(err.value)
    finally:
        shutil.rmtree(base)
