"""The live page's server, as any HTTP client sees it: what it refuses, what it pushes, how it stops.

What the page does with what it is sent is tested in a real browser in test_live_browser.py.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from conftest import EXAMPLES, gradcalc_command
from gradcalc.errors import GradcalcError, UsageError
from gradcalc.files import read_text
from gradcalc.live.server import LiveServer, ssh_hint
from gradcalc.program import Result, run_source
from gradcalc.source import Source


def neuron(**overrides: float) -> Result:
    path = EXAMPLES / "neuron.gc"
    return run_source(Source(read_text(path), str(path)), overrides)



@pytest.fixture
def server() -> Iterator[LiveServer]:
    live = LiveServer()
    live.start()
    yield live
    live.stop()


def request(
    live: LiveServer, method: str = "GET", path: str | None = None, host: str | None = None
) -> http.client.HTTPResponse:
    assert live.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=5)
    headers = {"Host": host if host is not None else f"127.0.0.1:{live.port}"}
    connection.request(method, path if path is not None else f"/{live.token}/", headers=headers)
    return connection.getresponse()


def events(live: LiveServer, count: int, timeout: float = 10.0) -> list[dict]:
    """The first ``count`` states the event stream sends."""
    assert live.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=timeout)
    connection.request("GET", f"/{live.token}/events", headers={"Host": f"localhost:{live.port}"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/event-stream")
    states = []
    while len(states) < count:
        line = response.readline().decode()
        if line.startswith("data: "):
            states.append(json.loads(line[6:]))
    connection.close()
    return states


def wait_for_version(live: LiveServer, version: int, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen, state = live.state()
        if seen >= version:
            return state
        time.sleep(0.01)
    raise AssertionError(f"version {version} never drawn")


def test_the_server_listens_on_loopback_only_with_a_token_in_its_url(server):
    assert server.url == f"http://127.0.0.1:{server.port}/{server.token}/"
    assert len(server.token) >= 32
    assert server._httpd is not None and server._httpd.server_address[0] == "127.0.0.1"
    other = LiveServer()
    assert other.token != server.token


def test_the_page_is_served_with_its_token_and_no_cors_header(server):
    response = request(server)
    body = response.read().decode()
    assert response.status == 200 and response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "<title>gradcalc</title>" in body and "Waiting for a result" in body
    assert response.getheader("Access-Control-Allow-Origin") is None
    assert response.getheader("Cache-Control") == "no-store"


@pytest.mark.parametrize("path", ["/", "/wrong-token/", "/wrong-token/events", "/favicon.ico", "/../etc/passwd"])
def test_a_wrong_or_missing_token_is_refused(server, path):
    response = request(server, path=path)
    assert response.status in (403, 404)
    assert "gradcalc" not in response.read().decode().lower()


def test_a_path_below_the_token_serves_no_files(server):
    assert request(server, path=f"/{server.token}/../../etc/passwd").status == 404
    assert request(server, path=f"/{server.token}/live.js").status == 404


WRONG_HOSTS = ["evil.example:{port}", "127.0.0.1", "127.0.0.1:1", "", "localhost.evil.example:{port}"]


@pytest.mark.parametrize("host", WRONG_HOSTS)
def test_a_wrong_host_header_is_refused_against_dns_rebinding(server, host):
    response = request(server, host=host.format(port=server.port))
    assert response.status == 403
    assert "Host" in response.read().decode()


def test_localhost_is_an_accepted_host(server):
    assert request(server, host=f"localhost:{server.port}").status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_only_get_is_answered(server, method):
    response = request(server, method=method)
    assert response.status == 405 and response.getheader("Allow") == "GET"
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(GradcalcError) as caught:
            LiveServer(port=port).start()
    assert caught.value.message == f"cannot serve the live page on port {port}: the port is in use"
    assert caught.value.hint


def test_the_server_binds_nowhere_but_loopback():
    with pytest.raises(UsageError):
        LiveServer(host="0.0.0.0")


def test_a_browser_that_connects_gets_the_current_state_at_once(server, dot):
    server.publish(neuron())
    state = wait_for_version(server, 1)
    assert state["kind"] == "result"
    (first,) = events(server, 1)
    assert first["version"] == 1 and first["data"]["nodes"][-1]["value"] == "0.7311"
    assert first["svg"].startswith("<svg")
    (again,) = events(server, 1)  # a new connection: the same state again
    assert again["version"] == 1


def test_a_reconnecting_browser_is_not_sent_what_it_already_has(server, dot):
    server.publish(neuron())
    wait_for_version(server, 1)
    assert server.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = {"Host": f"127.0.0.1:{server.port}", "Last-Event-ID": "1"}
    connection.request("GET", f"/{server.token}/events", headers=headers)
    response = connection.getresponse()
    server.publish(neuron(x0=1))
    while not (line := response.readline().decode()).startswith("data: "):
        pass
    assert json.loads(line[6:])["version"] == 2  # the first state it is sent is the new one


def test_each_publish_is_pushed_to_an_open_stream(server, dot):
    server.publish(neuron())
    wait_for_version(server, 1)
    got: list[dict] = []

    reader = threading.Thread(target=lambda: got.extend(events(server, 2)))
    reader.start()
    time.sleep(0.3)
    server.publish(neuron(x0=1))
    reader.join(10)
    assert [s["version"] for s in got] == [1, 2]
    assert got[1]["data"]["nodes"][1]["value"] == "1"  # x0 = 1 now


def test_publish_never_waits_for_the_drawing_and_the_latest_wins(server, dot):
    results = [neuron(x0=float(k)) for k in range(30)]
    start = time.perf_counter()
    for result in results:
        server.publish(result)
    spent = time.perf_counter() - start
    assert spent < 0.05  # 30 drawings by dot take far longer; publish only hands them over
    state = wait_for_version(server, 30)
    assert state["data"]["nodes"][1]["value"] == "29"
    assert server.state()[0] == 30


def test_an_error_is_shown_instead_of_a_picture(server):
    server.publish_error("error: no value for x")
    state = wait_for_version(server, 1)
    assert state == {"kind": "error", "message": "error: no value for x"}


def test_stop_closes_open_streams_promptly(dot):
    live = LiveServer()
    live.start()
    live.publish(neuron())
    wait_for_version(live, 1)
    assert live.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=5)
    connection.request("GET", f"/{live.token}/events", headers={"Host": f"127.0.0.1:{live.port}"})
    response = connection.getresponse()
    response.readline()
    start = time.monotonic()
    live.stop()
    assert time.monotonic() - start < 1.5
    assert not live.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", live.port), timeout=1):
        pass


def test_stop_ends_a_drawing_in_progress(dot):
    # Every link reuses x and y: Graphviz takes minutes to lay this out.
    slow = run_source(Source("\n".join(["a = x*y"] + ["a = sin(a)*x + y"] * 40)), {"x": 0.5, "y": 0.25})
    live = LiveServer()
    live.start()
    live.publish(slow)
    deadline = time.monotonic() + 10
    while (process := live._dot) is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    start = time.monotonic()
    live.stop()
    assert time.monotonic() - start < 2.5
    assert process.wait(timeout=2) != 0  # killed, not finished


def test_over_ssh_the_hint_says_how_to_forward_the_port():
    hint = ssh_hint(8765, {"SSH_CONNECTION": "10.0.0.5 52311 10.0.0.9 22", "USER": "ada"})
    assert hint is not None and "ssh -L 8765:127.0.0.1:8765 ada@10.0.0.9" in hint
    assert ssh_hint(8765, {}) is None


def start_serve(*args: str, cwd, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*gradcalc_command(), "serve", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert " is at http://127.0.0.1:" in first, first + process.stderr.read()
    return process, first.split(" is at ", 1)[1].strip()


def stream(url: str, count: int) -> list[dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path + "events", headers={"Host": parts.netloc})
    response = connection.getresponse()
    states = []
    while len(states) < count:
        line = response.readline().decode()
        if line.startswith("data: "):
            states.append(json.loads(line[6:]))
    return states


def first_state(url: str, wanted, timeout: float = 10.0) -> dict:
    """The first state the stream of ``url`` sends (connecting anew each time) for which ``wanted`` holds."""
    deadline = time.monotonic() + timeout
    while not wanted(state := stream(url, 1)[0]):
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    return state


def test_serve_redraws_when_the_program_file_changes_and_shows_errors(tmp_path, dot):
    program = tmp_path / "neuron.gc"
    program.write_text((EXAMPLES / "neuron.gc").read_text())
    process, url = start_serve(str(program), "--precision", "3", cwd=tmp_path, env={"SSH_CONNECTION": ""})
    try:
        first = first_state(url, lambda s: s["kind"] != "empty")
        assert first["kind"] == "result" and first["data"]["nodes"][-1]["value"] == "0.73106"
        program.write_text("x = 2\ny = 5\nf = x*y")
        first_state(url, lambda s: s["kind"] == "result" and s["data"]["nodes"][-1]["value"] == "10")
        program.write_text("x = 2\nf = x*")
        state = first_state(url, lambda s: s["kind"] == "error")
        assert "syntax error" in state["message"] and "neuron.gc:2" in state["message"]
        assert process.poll() is None  # still serving
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in err and "stopped" in out


def test_serve_prints_the_ssh_hint_over_ssh(dot, tmp_path):
    process, _ = start_serve("x*y", "x=2", "y=3", cwd=tmp_path, env={"SSH_CONNECTION": "10.1.2.3 5000 10.9.8.7 22"})
    try:
        assert process.stdout is not None
        hint = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert "ssh -L" in hint and "10.9.8.7" in hint
    assert process.returncode == 0


def test_serve_on_a_port_in_use_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*gradcalc_command(), "serve", "x*y", "x=1", "y=2", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
    assert done.returncode == 1
    assert f"port {port}: the port is in use" in done.stderr and "Traceback" not in done.stderr


def test_nothing_of_the_server_is_imported_until_it_is_used():
    script = (
        "import sys\nfrom gradcalc.cli.app import main\n"
        "try:\n    main(['eval', 'x*y', 'x=1', 'y=2', '--json'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.split())
    assert loaded.isdisjoint({"gradcalc.live", "gradcalc.live.server", "gradcalc.views.html_page", "http.server"})


def test_the_server_and_the_page_import_no_interface_library():
    script = (
        "import sys\nimport gradcalc.live.server, gradcalc.views.html_page\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert set(done.stdout.split()).isdisjoint({"rich", "typer", "click", "prompt_toolkit", "selenium"})


def test_the_server_prints_nothing_on_the_users_terminal(server, capfd):
    request(server).read()
    request(server, path="/nope/").read()
    with socket.create_connection(("127.0.0.1", server.port)) as rude:  # a browser closing mid-request
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.sendall(b"GET / HTTP/1.1\r\n")
    time.sleep(0.3)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
