"""Real renders through Graphviz's dot, and the command line around them: formats, errors, atomic writes.

These tests need ``dot``. Outside CI they skip when it is missing; with ``CI`` set they fail instead,
so CI always renders for real.
"""

from __future__ import annotations

import os
import stat
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.dot import GRAD_COLOR, VALUE_COLOR
from gradcalc.views.image import MAX_IMAGE_NODES, write_image
from gradcalc.views.palette import PALETTES

GOLDEN = Path(__file__).parent / "golden"
NEURON = ["sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
SEED = ["(x+y)*z", "x=1", "y=3", "z=-3"]
SVG = "{http://www.w3.org/2000/svg}"


def gradcalc_command() -> list[str]:
    # The script beside this Python: one found on PATH may be another install (a pyenv shim needs bash,
    # which the tests below take off PATH).
    beside = Path(sys.executable).with_name("gradcalc")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "gradcalc"]


def gradcalc(
    *args: str, cwd: Path | None = None, path: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(
        [*gradcalc_command(), *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done



def svg_texts(path: Path) -> list[tuple[str, float, float, str]]:
    """Every text of an SVG as (text, x, y, fill)."""
    root = ET.parse(path).getroot()
    return [
        (t.text or "", float(t.get("x", 0)), float(t.get("y", 0)), t.get("fill", "")) for t in root.iter(f"{SVG}text")
    ]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def chain(links: int) -> str:
    return "a = x\n" + "a = sin(a)\n" * links


# --- real renders --------------------------------------------------------------------------------


def test_svg_shows_values_above_gradients_below_in_their_colours(dot, tmp_path):
    done = gradcalc("render", *NEURON, "--expand", "-o", "neuron.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    texts = svg_texts(tmp_path / "neuron.svg")
    key = [(t, fill) for t, _, _, fill in texts if "pass" in t]  # the legend
    assert key == [
        ("value (above): forward pass", VALUE_COLOR),
        ("gradient ∂f/∂value (below): backward pass", GRAD_COLOR),
    ]
    green = [(t, x, y) for t, x, y, fill in texts if fill == VALUE_COLOR and "pass" not in t]
    red = [(t, x, y) for t, x, y, fill in texts if fill == GRAD_COLOR and "pass" not in t]
    assert sorted(t for t, *_ in green) == sorted(
        ["2.00", "-1.00", "-3.00", "-2.00", "-3.00", "-2.00", "6.00", "4.00", "1.00", "-1.00", "0.37", "1.37", "0.73"]
    )
    assert sorted(t for t, *_ in red) == sorted(
        [
            *("-0.20", "0.39", "-0.39", "-0.59", "0.20"),
            *("0.20", "0.20", "0.20", "0.20", "-0.20", "-0.53", "-0.53", "1.00"),
        ]
    )
    # Each value sits above its own gradient: a gradient text just below every value, at the same place.
    for _, x, y in green:
        assert any(abs(rx - x) < 25 and 0 < ry - y < 30 for _, rx, ry in red)
    symbols = {t for t, _, _, fill in texts if fill in ("", "#000000", "black")}
    assert {"w0", "x0", "w1", "x1", "w2", "f", "*", "+", "*-1", "exp", "+1", "1/x"} <= symbols
    # the table's made-up names p..v, small and grey, each just left of its value
    made_up = {t: (x, y) for t, x, y, fill in texts if fill == PALETTES["safe"].generated}
    assert set(made_up) == {f"{name} =" for name in "pqrstuv"}
    for x, y in made_up.values():
        assert any(0 < vx - x < 60 and abs(vy - y) < 3 for _, vx, vy in green)


def test_svg_keeps_the_node_ids_and_classes(dot, tmp_path):
    done = gradcalc("render", "max(x, y) - (-x)", "x=1", "y=1", "-o", "kink.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = ET.parse(tmp_path / "kink.svg").getroot()
    groups = {g.get("id"): (g.get("class"), g.findtext(f"{SVG}title")) for g in root.iter(f"{SVG}g")}
    # Graphviz puts "node" before the classes, and keeps the ids and the titles the live page looks up
    assert groups["n0"] == ("node wire input", "n0") and groups["s0"] == ("node split", "s0")
    assert groups["g2"] == ("node gate max kink", "g2")
    assert groups["g3"] == ("node gate neg", "g3") and groups["g4"] == ("node gate sub", "g4")
    assert groups["n4"] == ("node wire output", "n4")
    tooltips = [a.get("{http://www.w3.org/1999/xlink}title") for a in root.iter(f"{SVG}a")]
    assert "max is at a point with no derivative: a tie splits the gradient evenly" in tooltips
    texts = {t for t, *_ in svg_texts(tmp_path / "kink.svg")}
    assert {"kink", "neg", "-", "+", "\u2212"} <= texts
    assert "warning: p = max(x, y)" in done.stderr


def test_palette_and_legend_options_reach_the_picture(dot, tmp_path):
    done = gradcalc("render", *SEED, "--palette", "classic", "--no-legend", "-o", "seed.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    fills = {fill for *_, fill in svg_texts(tmp_path / "seed.svg")}
    assert {PALETTES["classic"].value, PALETTES["classic"].grad} <= fills
    assert not {VALUE_COLOR, GRAD_COLOR} & fills
    assert not any("pass" in t for t, *_ in svg_texts(tmp_path / "seed.svg"))


def test_png_is_a_png_of_sane_size(dot, tmp_path):
    done = gradcalc("render", *NEURON, "--expand", "-o", "neuron.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    width, height = png_size((tmp_path / "neuron.png").read_bytes())
    assert 600 < width < 3000 and 150 < height < 1500


def test_pdf_has_its_header(dot, tmp_path):
    done = gradcalc("render", *SEED, "--style", "boxes", "-o", "seed.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "seed.pdf").read_bytes().startswith(b"%PDF-")


def test_format_option_overrides_the_suffix(dot, tmp_path):
    done = gradcalc("render", *SEED, "-o", "picture.img", "--format", "svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ET.parse(tmp_path / "picture.img").getroot().tag == f"{SVG}svg"


def test_every_style_and_direction_renders(dot, tmp_path):
    for style in ("circuit", "boxes"):
        for rankdir in ("LR", "TB"):
            target = tmp_path / f"{style}-{rankdir}.svg"
            result = run_source(Source("y = x*x + a + a"), {"x": 3.0, "a": 1.0})
            write_image(result, target, style=style, rankdir=rankdir, precision=3)
            texts = {t for t, *_ in svg_texts(target)}
            assert {"9.000", "6.000", "2.000"} <= texts


def test_infinite_gradients_render(dot, tmp_path):
    done = gradcalc("render", "-sqrt(x)", "x=0", "-o", "inf.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "-inf" in {t for t, *_ in svg_texts(tmp_path / "inf.svg")}
    assert "not finite" in done.stderr  # the warning still reaches the user


def test_written_images_get_the_usual_file_mode(dot, tmp_path):
    write_image(run_source(Source("x*2"), {"x": 1.0}), tmp_path / "a.svg")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.svg").stat().st_mode) == 0o666 & ~umask


# --- size limits -------------------------------------------------------------------------------------


def test_png_past_the_bitmap_limit_is_refused_and_svg_suggested(dot, tmp_path):
    (tmp_path / "long.png").write_bytes(b"old picture")
    done = gradcalc("render", chain(300), "x=0.5", "-o", "long.png", cwd=tmp_path)
    assert done.returncode == 1
    assert "too large for a readable PNG" in done.stderr and ".svg" in done.stderr
    assert (tmp_path / "long.png").read_bytes() == b"old picture"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.png"]  # no temporary file left
    assert gradcalc("render", chain(300), "x=0.5", "-o", "long.svg", cwd=tmp_path).returncode == 0


def test_graphs_too_big_to_draw_are_refused_but_dot_text_is_written(tmp_path):
    program = chain(MAX_IMAGE_NODES)
    done = gradcalc("render", program, "x=0.5", "-o", "big.svg", cwd=tmp_path)
    assert done.returncode == 1
    assert f"{MAX_IMAGE_NODES + 1:,} nodes" in done.stderr and ".dot" in done.stderr
    assert not (tmp_path / "big.svg").exists()
    done = gradcalc("render", program, "x=0.5", "-o", "big.dot", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "big.dot").read_text().count("shape=ellipse") == MAX_IMAGE_NODES


# --- without Graphviz, and when it fails --------------------------------------------------------


def test_without_dot_images_say_how_to_install_it_and_dot_text_still_works(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = gradcalc("render", *SEED, "-o", "seed.svg", cwd=tmp_path, path=str(empty))
    assert done.returncode == 1
    assert "dot program is not on PATH" in done.stderr and "apt-get install graphviz" in done.stderr
    assert not (tmp_path / "seed.svg").exists()
    done = gradcalc("render", *SEED, "-o", "seed.dot", cwd=tmp_path, path=str(empty))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "seed.dot").read_text() == (GOLDEN / "seed.dot").read_text()


def test_a_failing_dot_leaves_no_half_written_file(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    script = fake / "dot"
    script.write_text(
        '#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\nprintf "<svg half" > "$2"\n'
        'echo "Error: syntax error in line 1" >&2\nexit 1\n'
    )
    script.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    done = gradcalc("render", *SEED, "-o", "seed.svg", cwd=out, path=f"{fake}:/usr/bin:/bin")
    assert done.returncode == 1
    assert "dot failed" in done.stderr and "syntax error in line 1" in done.stderr
    assert list(out.iterdir()) == []


# --- the command line ------------------------------------------------------------------------------


def test_dot_output_needs_no_graphviz_and_is_byte_identical(tmp_path):
    first = gradcalc("render", *NEURON, "--expand", "-o", "a.dot", cwd=tmp_path)
    second = gradcalc("render", *NEURON, "--expand", "-o", "b.dot", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert (tmp_path / "a.dot").read_bytes() == (tmp_path / "b.dot").read_bytes()
    assert (tmp_path / "a.dot").read_text() == (GOLDEN / "neuron_expanded.dot").read_text()


def test_program_from_standard_input_and_a_leading_minus(tmp_path):
    done = gradcalc("render", "-", "x=1", "y=3", "z=-3", "-o", "-", stdin="(x+y)*z\n")
    assert done.returncode == 0 and done.stdout == (GOLDEN / "seed.dot").read_text()
    done = gradcalc("render", "-x^2", "x=3", "-o", "square.dot", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "label=<^2>" in (tmp_path / "square.dot").read_text()


def test_dash_prints_dot_text(tmp_path):
    done = gradcalc("render", *SEED, "-o", "-")
    assert done.returncode == 0
    assert done.stdout == (GOLDEN / "seed.dot").read_text()
    done = gradcalc("render", *SEED, "-o", "-", "--format", "png")
    assert done.returncode == 2 and "only DOT" in done.stderr


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("graph.jpg", 2, "cannot tell the format from the suffix '.jpg'"),
        ("graph", 2, "cannot tell the format of graph: its name has no suffix"),
        ("missing/graph.svg", 1, "the folder missing does not exist"),
        (".", 1, "it is a folder"),
    ],
)
def test_bad_targets_are_clear_errors(tmp_path, target, status, message):
    done = gradcalc("render", *SEED, "-o", target, cwd=tmp_path)
    assert done.returncode == status
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_an_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    done = gradcalc("render", *SEED, "-o", "locked/seed.dot", cwd=tmp_path)
    assert done.returncode == 1 and "cannot write locked/seed.dot" in done.stderr


def test_bad_style_and_format_are_usage_errors(tmp_path):
    assert gradcalc("render", *SEED, "-o", "a.dot", "--style", "fancy", cwd=tmp_path).returncode == 2
    assert gradcalc("render", *SEED, "-o", "a.dot", "--format", "jpg", cwd=tmp_path).returncode == 2
    assert gradcalc("render", *SEED, cwd=tmp_path).returncode == 2  # -o is required


def test_render_options_choose_style_direction_and_precision(tmp_path):
    done = gradcalc("render", *SEED, "-o", "-", "--style", "boxes", "--rankdir", "TB", "-p", "1")
    assert done.returncode == 0
    assert "rankdir=TB" in done.stdout and "data <font" in done.stdout and ">-12.0<" in done.stdout


def test_run_draws_the_picture_and_still_prints_the_table(tmp_path):
    (tmp_path / "neuron.gc").write_text("w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3\nf = sigmoid(w0*x0 + w1*x1 + w2)\n")
    done = gradcalc("run", "neuron.gc", "--expand", "-o", "neuron.dot", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "∂f/∂x0 = 0.393224" in done.stdout  # the table keeps its own precision ...
    picture = (tmp_path / "neuron.dot").read_text()
    assert ">0.73<" in picture and "0.731059" not in picture  # ... the picture reads 2 decimals
    done = gradcalc("run", "neuron.gc", "-p", "3", "-o", "-", "--style", "boxes", cwd=tmp_path)
    assert done.stdout.startswith("// gradcalc boxes") and done.stdout.endswith("}\n")  # only the DOT text
    assert ">0.731<" in done.stdout
    assert gradcalc("run", "neuron.gc", "--json", "-o", "-", cwd=tmp_path).returncode == 2


def test_run_reports_bad_image_targets(tmp_path):
    (tmp_path / "p.gc").write_text("x = 1\nx * 2\n")
    done = gradcalc("run", "p.gc", "-o", "p.jpeg", cwd=tmp_path)
    assert done.returncode == 2 and "'.jpeg'" in done.stderr


def test_run_takes_the_picture_options_of_render(tmp_path):
    (tmp_path / "p.gc").write_text("x = 1\nx * 2\n")
    done = gradcalc("run", "p.gc", "--palette", "classic", "--no-legend", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert PALETTES["classic"].value in done.stdout and "labelloc=b" not in done.stdout
    assert "labelloc=b" in gradcalc("run", "p.gc", "-o", "-", cwd=tmp_path).stdout  # the legend, by default
    boxes = gradcalc("render", "x*2", "x=1", "--style", "boxes", "-o", "-", cwd=tmp_path).stdout
    assert "labelloc=b" not in boxes
    assert "labelloc=b" in gradcalc("render", "x*2", "x=1", "--style", "boxes", "--legend", "-o", "-").stdout


def test_an_unknown_palette_is_a_usage_error(tmp_path):
    done = gradcalc("render", *SEED, "--palette", "neon", "-o", "-", cwd=tmp_path)
    assert done.returncode == 2 and "safe" in done.stderr and "classic" in done.stderr
