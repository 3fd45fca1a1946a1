"""The pre-build step: every generated figure written as a PNG file before the site generator runs.

    python docs/extensions/prebuild.py [--out docs/figures]

Both generators serve the files it writes as they are, so the figures no longer depend on an
MkDocs event: ``mkdocs build`` runs the same ``write_figures`` from ``docs/hooks/site_hooks.py``
(so ``mkdocs serve`` stays current), and ``zensical build`` needs this command run first.
``docs/figures/`` is generated and git-ignored; a file there that no figure produces is removed.

Each figure is written twice, for 2x screens: ``name.png`` on white and ``name-dark.png`` for the
dark scheme, compacted to a 256-colour palette. Each PNG carries the figure's alt text as its
``Description`` and, when the figure has one, its caption as ``Caption`` (text chunks): the
Markdown extension ``docs/extensions/fill.py`` reads them from there, so a page's alt text and
caption come from the same data as the picture, under either generator.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import io
import multiprocessing
import operator
import os
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"


_LOADED: dict[Path, ModuleType] = {}


def load(name: str, folder: str = "hooks") -> ModuleType:
    """The module ``docs/<folder>/<name>.py``, imported once per process.

    MkDocs imports each hook under its own name; a module it has already imported is reused, so
    the hooks and the Markdown extension share one state (e.g. build_math's one KaTeX engine,
    whose cache of formulas the font cut reads). The module found is remembered while it is still
    the one ``sys.modules`` holds under its name (``mkdocs serve`` imports the hooks again when it
    reloads the configuration): this is called for every Markdown conversion (each docstring of the
    API reference is one), and looking through ``sys.modules`` each time, resolving every module's
    path, was most of a build's time.
    """
    path = (DOCS / folder / f"{name}.py").resolve()
    known = _LOADED.get(path)
    if known is not None and sys.modules.get(known.__name__) is known:
        return known
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve() == path:
            _LOADED[path] = module
            return module
    spec = importlib.util.spec_from_file_location(f"backprop_site_{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickle look a module up there
    spec.loader.exec_module(module)
    _LOADED[path] = module
    return module


def with_text(png: bytes, key: str, value: str) -> bytes:
    """``png`` with an iTXt chunk ``key`` = ``value`` (UTF-8) inserted before its IEND chunk."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or png[-12:-8] != b"\x00\x00\x00\x00" or png[-8:-4] != b"IEND":
        raise ValueError("png: expected PNG bytes ending in an IEND chunk")
    data = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode("utf-8")
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))
    return png[:-12] + chunk + png[-12:]


def png_text(png: bytes) -> dict[str, str]:
    """The text chunks of a PNG (``Description``, ``Caption``), as Pillow reads them."""
    from PIL import Image

    return dict(Image.open(io.BytesIO(png)).text)


def figure_files() -> dict[str, bytes]:
    """Every generated figure's PNG files, light and dark, by file name under ``figures/``.

    Drawing them is most of a build's time and each is independent, so they are drawn in worker
    processes, one per core: each gets a pickled copy of its figure and returns the PNG's bytes.
    """
    site_hooks, lean, bench = load("site_hooks"), load("lean_pages"), load("benchmark_page")
    drawn = {**site_hooks.figures(), "performance.png": bench.figure(bench.load())}
    jobs = [
        (file, fig, dark)
        for name, fig in drawn.items()
        for file, dark in ((name, False), (site_hooks.dark_name(name), True))
    ]
    # A figure saved a second time can differ from its first save by a pixel (its layout settles),
    # so each file is drawn from a fresh copy (the one pickled to its worker): the same figure gives
    # the same bytes in every build, and mkdocs serve does not rebuild forever on rewritten files.
    # "spawn", not fork: a build may run beside other threads (mkdocs serve's), which fork can hang.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(os.cpu_count() or 1, mp_context=spawn) as pool:
        # A method call by name pickles by reference, so a worker needs only the figure's class.
        futures = [pool.submit(operator.methodcaller("png_bytes", dark=dark), fig) for _, fig, dark in jobs]
        pngs = [future.result() for future in futures]
    files = {}
    for (file, fig, _), png in zip(jobs, pngs):
        if fig.caption:
            png = with_text(png, "Caption", fig.caption)
        files[file] = lean.compact_png(png)  # keeps the text chunks
    return files


def write_figures(out: Path = FIGURES, files: dict[str, bytes] | None = None) -> list[str]:
    """Write ``files`` (default: ``figure_files()``) into ``out``; return the names written.

    A file whose bytes are already there is left alone (``mkdocs serve`` would otherwise see a
    change and rebuild forever); a PNG in ``out`` that is not one of ``files`` is removed.
    """
    files = figure_files() if files is None else files
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, png in sorted(files.items()):
        path = out / name
        if not path.is_file() or path.read_bytes() != png:
            path.write_bytes(png)
            written.append(name)
    for stale in out.glob("*.png"):
        if stale.name not in files:
            stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIGURES, help="the folder to write (default: docs/figures)")
    args = parser.parse_args(argv)
    written = write_figures(args.out)
    print(f"{len(written)} figure file(s) written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
