"""``medinsure serve`` refuses what cannot be served safely, in one line, before it listens."""

from __future__ import annotations

import socket
import subprocess

import pytest

from medinsure.errors import UsageError
from medinsure.service.config import ServiceConfig, is_loopback
from support import run
from support.service import environment, serve_command

TEST_PLUGIN = ["--no-entry-points", "-p", "testplugin"]


def one_line_error(argv: list[str]) -> str:
    code, out, err = run("serve", *argv, *TEST_PLUGIN)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_another_address_than_loopback_without_a_token_is_refused(host):
    assert one_line_error(["--host", host]) == (
        f"medinsure serve: --host {host}: refusing to serve an address other than 127.0.0.1 without a token;"
        " give --token-file FILE (bearer token) or --insecure"
    )


def test_the_refusal_as_a_process_of_its_own():
    done = subprocess.run(
        serve_command("--host", "0.0.0.0", *TEST_PLUGIN), env=environment(), capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        "medinsure serve: --host 0.0.0.0: refusing to serve an address other than 127.0.0.1 without a token;"
        " give --token-file FILE (bearer token) or --insecure"
    ]


def test_a_token_or_insecure_lets_another_address_pass_the_check(tmp_path):
    token = tmp_path / "token"
    token.write_text("0123456789abcdef-token\n", encoding="utf-8")
    ServiceConfig(host="0.0.0.0", token_file=str(token)).check()
    ServiceConfig(host="0.0.0.0", insecure=True).check()
    assert ServiceConfig(host="0.0.0.0", token_file=str(token)).read_token() == "0123456789abcdef-token"
    with pytest.raises(UsageError):
        ServiceConfig(host="0.0.0.0").check()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True)],
        *[("0.0.0.0", False), ("10.0.0.1", False), ("::", False), ("hospital.example", False)],
    ],
)
def test_what_counts_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("short\n", "expected one token of at least 16 printable characters, no spaces"),
        ("two words but long enough\n", "expected one token of at least 16 printable characters, no spaces"),
        ("", "expected one token of at least 16 printable characters"),
    ],
)
def test_a_bad_token_file_is_one_line(tmp_path, content, message):
    token = tmp_path / "token"
    token.write_text(content, encoding="utf-8")
    assert message in one_line_error(["--token-file", str(token)])


def test_a_missing_token_file_is_one_line(tmp_path):
    line = one_line_error(["--token-file", str(tmp_path / "none")])
    assert line == f"medinsure serve: --token-file {tmp_path / 'none'}: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "medinsure serve: --workers 0: expected at least 1"),
        (["--port", "70000"], "medinsure serve: --port 70000: expected a port number (1 to 65535)"),
        (["--port", "0"], "medinsure serve: --port 0: expected a port number (1 to 65535)"),
        (["--max-body", "0"], "medinsure serve: --max-body 0: expected a number of bytes, at least 1"),
        (["--timeout", "0"], "medinsure serve: --timeout 0.0: expected a number of seconds above 0"),
        (["--ledger-connections", "0"], "medinsure serve: --ledger-connections 0: expected at least 1"),
        (["-p", "no_such_plugin_module"], "medinsure serve: --plugin 'no_such_plugin_module': cannot import"),
    ],
)
def test_bad_options_are_one_line(argv, message):
    assert one_line_error(argv).startswith(message)


def test_a_ledger_that_cannot_be_opened_is_one_line(tmp_path):
    line = one_line_error(["--ledger", str(tmp_path / "no" / "such" / "folder" / "ledger.sqlite")])
    assert line.startswith("medinsure serve: ledger ")
    assert "cannot open" in line


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(["--port", str(port)])
    assert line == f"medinsure serve: --host 127.0.0.1 --port {port}: cannot listen there: Address already in use"


def test_serve_is_listed_with_its_options(capsys):
    assert run("serve", "--help")[0] == 0
    out = capsys.readouterr().out
    for option in (
        "--host",
        "--port",
        "--workers",
        "--ledger",
        "--token-file",
        "--insecure",
        "--max-body",
        "--timeout",
    ):
        assert option in out
