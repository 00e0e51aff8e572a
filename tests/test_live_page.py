"""The self-contained HTML page: its data and steps, its safety, and what happens without Graphviz.

The page's behaviour in a browser is tested in test_live_browser.py; these tests read the document.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import pytest

from conftest import EXAMPLES, ROOT, run_gradcalc
from gradcalc.errors import GradcalcError
from gradcalc.files import read_text
from gradcalc.program import Result, run_source
from gradcalc.source import Source
from gradcalc.views.html_page import page_data, render_html, script_json


def neuron(expanded: bool = False, **overrides: float) -> Result:
    path = EXAMPLES / "neuron.gc"
    return run_source(Source(read_text(path), str(path)), overrides, expanded=expanded)



def embedded_state(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="gc-state">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_neuron_steps_forward_gate_by_gate_then_backward_wire_by_wire():
    steps = page_data(neuron())["steps"]
    assert [s["phase"] for s in steps] == ["ready"] + ["forward"] * 6 + ["backward"] * 10 + ["done"]
    assert steps[1]["text"] == "The leaves: w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3"
    assert [s["text"] for s in steps[2:7]] == [
        "p = w0 * x0 = 2 * (-1) = -2",
        "q = w1 * x1 = (-3) * (-2) = 6",
        "r = p + q = (-2) + 6 = 4",
        "s = r + w2 = 4 + (-3) = 1",
        "f = sigmoid(s) = sigmoid(1) = 0.7311",
    ]
    assert steps[7]["text"] == "∂f/∂f = 1: the backward pass starts at the output"
    assert steps[8]["text"] == "∂f/∂s = ∂f/∂f · ∂f/∂s = 1 · 0.1966 = 0.1966"
    assert steps[12]["text"] == "∂f/∂w2 = ∂f/∂s · ∂s/∂w2 = 0.1966 · 1 = 0.1966"
    assert steps[13]["text"] == "∂f/∂x1 = ∂f/∂q · ∂q/∂x1 = 0.1966 · (-3) = -0.5898"
    assert steps[16]["text"] == "∂f/∂w0 = ∂f/∂p · ∂p/∂w0 = 0.1966 · (-1) = -0.1966"


def test_a_reused_value_gets_its_gradient_as_the_sum_over_its_consumers():
    data = page_data(run_source(Source("x*x + x"), {"x": 3.0}))
    x = data["nodes"][0]
    assert x["chain"] == "∂f/∂x = ∂f/∂p · ∂p/∂x + ∂f/∂p · ∂p/∂x + ∂f/∂f · ∂f/∂x = 1 · 3 + 1 · 3 + 1 · 1 = 7"
    assert [t["branch"] for t in x["terms"]] == ["b0_0", "b0_1", "b0_2"]  # the split's branches in the DOT
    assert x["elements"]["split"] == "s0"


def test_the_inspector_data_names_the_drawn_elements_and_the_local_partials():
    p = page_data(neuron())["nodes"][5]
    assert p["label"] == "p" and p["elements"]["gate"] == "g5" and p["elements"]["wire"] == "n5"
    assert [a["label"] for a in p["inputs"]] == ["w0", "x0"]
    assert [d["text"] for d in p["partials"]] == ["∂p/∂w0 = x0 = -1", "∂p/∂x0 = w0 = 2"]
    assert p["chain"] == "∂f/∂p = ∂f/∂r · ∂r/∂p = 0.1966 · 1 = 0.1966"


def test_the_expanded_neuron_steps_through_its_primitive_gates():
    data = page_data(neuron(expanded=True))
    gates = [data["nodes"][s["nodes"][0]]["symbol"] for s in data["steps"] if s["phase"] == "forward"][1:]
    assert gates == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    assert data["steps"][-2]["text"] == "∂f/∂w0 = ∂f/∂p · ∂p/∂w0 = 0.1966 · (-1) = -0.1966"


def test_the_page_inlines_everything_and_may_load_nothing(dot):
    page = render_html(neuron())
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert csp is not None
    policy = csp.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "<svg" in page and "<?xml" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no remote script, style or image
    assert embedded_state(page)["data"]["outputLabel"] == "f"


def test_the_live_page_may_open_only_its_own_event_stream(dot):
    page = render_html(neuron(), live=True, events_url="/TOKEN/events")
    assert "connect-src &#x27;self&#x27;" in page
    assert '"events":"/TOKEN/events"' in page


def test_labels_cannot_close_the_script_that_carries_them():
    text = script_json({"label": "</script><script>alert(1)</script>\u2028"})
    assert "</script" not in text and "\u2028" not in text
    assert json.loads(text) == {"label": "</script><script>alert(1)</script>\u2028"}


def test_without_dot_the_export_says_so_and_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GradcalcError) as caught:
        render_html(neuron())
    assert "dot program is not on PATH" in caught.value.message
    assert "apt-get install graphviz" in (caught.value.hint or "")


def test_the_wheel_ships_the_page_script_and_style(tmp_path):
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*build, "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gradcalc-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradcalc/views/assets/live.js" in names and "gradcalc/views/assets/live.css" in names
    assert "gradcalc/live/server.py" in names


def test_render_writes_the_page_as_a_file(tmp_path, dot):
    target = tmp_path / "graph.html"
    done = run_gradcalc("render", str(EXAMPLES / "neuron.gc"), "--expand", "-o", str(target))
    assert done.returncode == 0, done.stderr
    state = embedded_state(target.read_text(encoding="utf-8"))
    assert state["data"]["expanded"] is True and state["data"]["nodes"][-1]["value"] == "0.7311"
