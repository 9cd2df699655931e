"""Open a report in headless Chromium: screenshots and the rendered DOM, for tests.

A report is only right if a browser shows it, so the report tests open it in Debian's
``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it in CI)::

    from tumorsim.report.browser import dump_dom, parse_report_dom, screenshot
    screenshot("report.html", "report.png")           # full-window PNG
    dom = parse_report_dom(dump_dom("report.html"))   # figures and tables as rendered
    assert all(f.image_sources for f in dom.figures)

Each call starts a fresh browser with a throw-away profile, no network services, and a
time limit; on timeout the whole process group is killed. POSIX only.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

__all__ = [
    "CHROMIUM_ENV",
    "INSTALL_HINT",
    "BrowserError",
    "ChromiumNotFoundError",
    "DomFigure",
    "DomTable",
    "ReportDom",
    "decode_image_data_uri",
    "dump_dom",
    "find_chromium",
    "parse_report_dom",
    "png_size",
    "screenshot",
]

CHROMIUM_ENV: Final[str] = "TUMORSIM_CHROMIUM"
"""Environment variable naming the Chromium executable, to override the search."""

INSTALL_HINT: Final[str] = (
    "install Debian's chromium (as root: apt-get update && apt-get install -y chromium; "
    f".ci/run does this in CI) or set {CHROMIUM_ENV} to a Chromium executable"
)

_FLAGS: Final[tuple[str, ...]] = (
    "--headless",
    "--no-sandbox",  # needed as root in containers; only local report files are opened
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)

_PNG_SIGNATURE: Final[bytes] = b"\x89PNG\r\n\x1a\n"


class BrowserError(RuntimeError):
    """Chromium could not be started, failed, or did not finish in time."""


class ChromiumNotFoundError(BrowserError):
    """No Chromium executable was found; the message says how to install one."""


def find_chromium() -> Path:
    """The Chromium executable: ``$TUMORSIM_CHROMIUM``, ``chromium`` on PATH, or /usr/bin.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ChromiumNotFoundError
        If none exists; the message says how to install it.
    """
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        found = shutil.which(override)
        if found is None:
            raise ChromiumNotFoundError(
                f"{CHROMIUM_ENV}={override!r} is not an executable; {INSTALL_HINT}"
            )
        return Path(found)
    found = shutil.which("chromium")
    if found is not None:
        return Path(found)
    fallback = Path("/usr/bin/chromium")
    if fallback.is_file() and os.access(fallback, os.X_OK):
        return fallback
    raise ChromiumNotFoundError(
        f"Chromium not found (looked for 'chromium' on PATH and {fallback}); {INSTALL_HINT}"
    )


def _run_chromium(arguments: list[str], *, timeout: float) -> str:
    """Run Chromium with the standard flags and a fresh profile; return its stdout."""
    executable = find_chromium()
    with tempfile.TemporaryDirectory(
        prefix="tumorsim-chromium-", ignore_cleanup_errors=True
    ) as profile:
        command = [str(executable), *_FLAGS, f"--user-data-dir={profile}", *arguments]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, to kill helpers on timeout
            )
        except OSError as exc:
            raise BrowserError(f"could not start {executable}: {exc}; {INSTALL_HINT}") from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.communicate()
            raise BrowserError(
                f"{executable.name} did not finish within {timeout:g} s: {' '.join(arguments)}"
            ) from None
    if process.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        shown = " | ".join(lines[-5:]) if lines else "no output"
        raise BrowserError(
            f"{executable.name} exited with status {process.returncode}: {shown}"
        )
    return stdout.decode("utf-8", "replace")


def _file_url(html_path: str | os.PathLike[str]) -> str:
    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file to open in the browser")
    return path.as_uri()


def screenshot(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    width: int = 1280,
    height: int = 3000,
    timeout: float = 60,
    virtual_time_budget_ms: int = 5000,
) -> Path:
    """Screenshot of a local HTML file as rendered by headless Chromium.

    Parameters
    ----------
    html_path : str or path-like
        The page to open.
    png_path : str or path-like
        Where to write the PNG (overwritten).
    width, height : int, default 1280 and 3000
        Window size in CSS pixels; the screenshot is the window, not the whole page.
    timeout : float, default 60
        Seconds before the browser is killed and :class:`BrowserError` raised.
    virtual_time_budget_ms : int, default 5000
        Virtual time the page gets to load (images decode) before the shot.

    Returns
    -------
    pathlib.Path
        ``png_path``, now an existing, non-empty PNG file.

    Raises
    ------
    ChromiumNotFoundError, BrowserError, FileNotFoundError
    """
    url = _file_url(html_path)
    target = Path(png_path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    _run_chromium(
        [
            f"--window-size={width},{height}",
            f"--virtual-time-budget={virtual_time_budget_ms}",
            f"--screenshot={target}",
            url,
        ],
        timeout=timeout,
    )
    if not target.is_file() or target.stat().st_size == 0:
        raise BrowserError(f"chromium exited without writing the screenshot {target}")
    return target


def dump_dom(
    html_path: str | os.PathLike[str],
    *,
    timeout: float = 60,
    virtual_time_budget_ms: int = 5000,
) -> str:
    """The DOM of a local HTML file after Chromium has parsed and laid it out.

    Parameters
    ----------
    html_path : str or path-like
        The page to open.
    timeout : float, default 60
        Seconds before the browser is killed and :class:`BrowserError` raised.
    virtual_time_budget_ms : int, default 5000
        Virtual time the page gets to load before the DOM is serialised.

    Returns
    -------
    str
        The serialised DOM (``document.documentElement.outerHTML``).

    Raises
    ------
    ChromiumNotFoundError, BrowserError, FileNotFoundError
    """
    url = _file_url(html_path)
    dom = _run_chromium(
        [f"--virtual-time-budget={virtual_time_budget_ms}", "--dump-dom", url], timeout=timeout
    )
    if "<html" not in dom.lower():
        raise BrowserError(f"chromium returned no DOM for {url}")
    return dom


# --- reading what the browser returned -----------------------------------------------------------


@dataclass(frozen=True)
class DomFigure:
    """A ``data-kind="figure"`` element: its id and the ``src`` of every ``<img>`` inside."""

    id: str | None
    image_sources: tuple[str, ...]


@dataclass(frozen=True)
class DomTable:
    """A ``data-kind="table"`` element: its id and the text of each ``<tbody>`` row's cells."""

    id: str | None
    body_rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ReportDom:
    """The figures and tables of a report's DOM, in document order."""

    figures: tuple[DomFigure, ...]
    tables: tuple[DomTable, ...]


class _ReportDomParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[DomFigure] = []
        self.tables: list[DomTable] = []
        # open figure: (id, tag, depth of that tag, sources)
        self._figure: tuple[str | None, str, list[int], list[str]] | None = None
        self._table_id: str | None = None
        self._table_depth = 0
        self._in_tbody = False
        self._rows: list[tuple[str, ...]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = attributes.get("data-kind")
        if self._figure is not None:
            if tag == self._figure[1]:
                self._figure[2][0] += 1
            if tag == "img":
                self._figure[3].append(attributes.get("src") or "")
        elif kind == "figure":
            self._figure = (attributes.get("id"), tag, [1], [])
            if tag == "img":  # a bare <img data-kind="figure">
                self._figure[3].append(attributes.get("src") or "")
                self._close_figure()
        if tag == "table":
            if self._table_depth:
                self._table_depth += 1
            elif kind == "table":
                self._table_id = attributes.get("id")
                self._table_depth = 1
                self._rows = []
        elif self._table_depth == 1:
            if tag == "tbody":
                self._in_tbody = True
            elif tag == "tr" and self._in_tbody:
                self._row = []
            elif tag in ("td", "th") and self._row is not None:
                self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._figure is not None and tag == self._figure[1]:
            self._figure[2][0] -= 1
            if self._figure[2][0] == 0:
                self._close_figure()
        if not self._table_depth:
            return
        if tag == "table":
            self._table_depth -= 1
            if self._table_depth == 0:
                self.tables.append(DomTable(self._table_id, tuple(self._rows)))
                self._in_tbody = False
        elif self._table_depth == 1:
            if tag in ("td", "th") and self._cell is not None and self._row is not None:
                self._row.append(" ".join("".join(self._cell).split()))
                self._cell = None
            elif tag == "tr" and self._row is not None:
                self._rows.append(tuple(self._row))
                self._row = None
            elif tag == "tbody":
                self._in_tbody = False

    def _close_figure(self) -> None:
        assert self._figure is not None
        self.figures.append(DomFigure(self._figure[0], tuple(self._figure[3])))
        self._figure = None


def parse_report_dom(dom: str) -> ReportDom:
    """Find the report's figures and tables in an HTML document (e.g. from :func:`dump_dom`).

    Parameters
    ----------
    dom : str
        HTML text.

    Returns
    -------
    ReportDom
        Every element with ``data-kind="figure"`` (with its images' ``src``) and
        ``data-kind="table"`` (with the text of its ``<tbody>`` rows' cells).
    """
    parser = _ReportDomParser()
    parser.feed(dom)
    parser.close()
    return ReportDom(tuple(parser.figures), tuple(parser.tables))


def decode_image_data_uri(uri: str, media_type: str = "image/png") -> bytes:
    """The bytes of a base64 image ``data:`` URI.

    Parameters
    ----------
    uri : str
        ``"data:image/png;base64,..."``.
    media_type : str, default "image/png"
        The type the URI must declare.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If the URI is not a base64 data URI of ``media_type`` or is empty.
    """
    prefix = f"data:{media_type};base64,"
    if not uri.startswith(prefix):
        raise ValueError(f"{uri[:40]!r}... is not a {prefix}... URI")
    payload = uri[len(prefix):]
    if not payload:
        raise ValueError(f"the {media_type} data URI is empty")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the {media_type} data URI is not valid base64: {exc}") from None


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG, from its header.

    Parameters
    ----------
    data : bytes
        The PNG file's bytes (at least its first 24).

    Returns
    -------
    tuple of int
        ``(width, height)``.

    Raises
    ------
    ValueError
        If ``data`` does not start like a PNG file.
    """
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file (no PNG signature and IHDR header)")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
