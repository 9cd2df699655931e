"""Open a report in headless Chromium: screenshots and the rendered DOM, for tests.

A report is only right if a browser shows it, so the report tests open it in Debian's
``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it in CI)::

    from tumorsim.report.browser import dump_dom, measure_layout, parse_report_dom, screenshot
    screenshot("report.html", "report.png")           # full-window PNG
    dom = parse_report_dom(dump_dom("report.html"))   # figures and tables as rendered
    assert all(f.image_sources for f in dom.figures)
    layout = measure_layout("report.html", width=1280)  # rendered widths, in CSS pixels
    assert not layout.overflowing()

Each call starts a fresh browser with a throw-away profile, no network services, and a
time limit; on timeout the whole process group is killed. POSIX only.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import tempfile
import zlib
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
    "PageLayout",
    "RenderedBox",
    "ReportDom",
    "decode_image_data_uri",
    "dump_dom",
    "find_chromium",
    "measure_layout",
    "parse_report_dom",
    "png_size",
    "png_text",
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
    width: int | None = None,
    height: int = 3000,
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
    width, height : int, optional
        Window size in CSS pixels (scripts in the page see it); default Chromium's.

    Returns
    -------
    str
        The serialised DOM (``document.documentElement.outerHTML``).

    Raises
    ------
    ChromiumNotFoundError, BrowserError, FileNotFoundError
    """
    url = _file_url(html_path)
    window = [f"--window-size={width},{height}"] if width is not None else []
    dom = _run_chromium(
        [*window, f"--virtual-time-budget={virtual_time_budget_ms}", "--dump-dom", url],
        timeout=timeout,
    )
    if "<html" not in dom.lower():
        raise BrowserError(f"chromium returned no DOM for {url}")
    return dom


# --- rendered sizes ------------------------------------------------------------------------------

_LAYOUT_ATTRIBUTE: Final[str] = "data-tumorsim-layout"

_LAYOUT_SCRIPT: Final[str] = """
window.addEventListener("load", () => {
  const boxes = [];
  const measure = (element, kind) => {
    const rect = element.getBoundingClientRect();
    const container = element.parentElement;
    boxes.push({
      id: element.id || null, kind: kind,
      left: rect.left, right: rect.right, width: rect.width,
      scroll_width: element.scrollWidth, client_width: element.clientWidth,
      container_width: container ? container.clientWidth : null,
    });
  };
  document.querySelectorAll("table").forEach((e) => measure(e, "table"));
  document.querySelectorAll("pre").forEach((e) => measure(e, "pre"));
  document.querySelectorAll("img").forEach((e) => measure(e, "img"));
  const root = document.documentElement;
  root.setAttribute("@ATTRIBUTE@", JSON.stringify({
    viewport_width: root.clientWidth, page_width: root.scrollWidth, boxes: boxes,
  }));
});
""".replace("@ATTRIBUTE@", _LAYOUT_ATTRIBUTE)


@dataclass(frozen=True)
class RenderedBox:
    """An element's rendered size, in CSS pixels.

    Attributes
    ----------
    id : str or None
        The element's id.
    kind : str
        ``"table"``, ``"pre"`` or ``"img"``.
    left, right, width : float
        Its border box (``getBoundingClientRect``) in the window.
    scroll_width, client_width : float
        Width of its content and of its visible inside; content wider than the inside
        is hidden behind a scroll bar.
    container_width : float or None
        Visible inside width of its parent element (a table's ``table-wrap``).
    """

    id: str | None
    kind: str
    left: float
    right: float
    width: float
    scroll_width: float
    client_width: float
    container_width: float | None

    def overflow(self, viewport_width: float) -> float:
        """By how many pixels it is wider than what shows it (0 when it fits).

        The largest of: its right edge past the window, its width past its container's
        inside, and (for scrolling elements) its content past its own inside.
        """
        excess = [self.right - viewport_width, 0.0]
        if self.container_width is not None:
            excess.append(self.width - self.container_width)
        if self.kind != "table":  # a table's scrollWidth is its own width
            excess.append(self.scroll_width - self.client_width)
        return max(excess)


@dataclass(frozen=True)
class PageLayout:
    """What :func:`measure_layout` returns: the window, the page and every box measured."""

    viewport_width: float
    page_width: float
    boxes: tuple[RenderedBox, ...]

    def of_kind(self, kind: str) -> tuple[RenderedBox, ...]:
        """The boxes of one kind (``"table"``, ``"pre"``, ``"img"``), in document order."""
        return tuple(b for b in self.boxes if b.kind == kind)

    def overflowing(self, tolerance: float = 0.5) -> list[str]:
        """One line per box wider than what shows it, and for a page wider than the window.

        Parameters
        ----------
        tolerance : float, default 0.5
            Pixels of rounding allowed.

        Returns
        -------
        list of str
            Empty when everything fits.
        """
        lines = [f"{b.kind} {b.id or '(no id)'}: {b.width:.0f} px wide, "
                 f"{b.overflow(self.viewport_width):.0f} px more than shows"
                 for b in self.boxes if b.overflow(self.viewport_width) > tolerance]
        if self.page_width > self.viewport_width + tolerance:
            lines.append(f"page: {self.page_width:.0f} px wide in a "
                         f"{self.viewport_width:.0f} px window")
        return lines


def _with_layout_script(html_text: str) -> str:
    """The page with :data:`_LAYOUT_SCRIPT` allowed (by a nonce) and appended to its body."""
    nonce = secrets.token_hex(8)

    def allow(match: re.Match[str]) -> str:
        return f"{match.group(1)}{match.group(2)}; script-src 'nonce-{nonce}'{match.group(3)}"

    html_text = re.sub(r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")',
                       allow, html_text, count=1, flags=re.IGNORECASE)
    script = f'<script nonce="{nonce}">{_LAYOUT_SCRIPT}</script>'
    closing = html_text.lower().rfind("</body>")
    if closing < 0:
        return html_text + script
    return html_text[:closing] + script + html_text[closing:]


class _RootAttributeParser(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html" and self.value is None:
            self.value = dict(attrs).get(self.name)


def measure_layout(
    html_path: str | os.PathLike[str],
    *,
    width: int = 1280,
    height: int = 3000,
    timeout: float = 60,
    virtual_time_budget_ms: int = 5000,
) -> PageLayout:
    """Render a local HTML file in headless Chromium and measure its tables, pre and images.

    A copy of the page, with a small script added (its Content-Security-Policy widened
    by a nonce for that script alone), is opened in a window ``width`` CSS pixels wide;
    after the page has loaded, the script writes the rendered size of every ``<table>``,
    ``<pre>`` and ``<img>`` into the DOM, which is read back. Nothing else changes, so
    the sizes are those of the page as a reader sees it.

    Parameters
    ----------
    html_path : str or path-like
        The page to measure.
    width, height : int, default 1280 and 3000
        Window size in CSS pixels.
    timeout : float, default 60
        Seconds before the browser is killed and :class:`BrowserError` raised.
    virtual_time_budget_ms : int, default 5000
        Virtual time the page gets to load before it is measured.

    Returns
    -------
    PageLayout

    Raises
    ------
    ChromiumNotFoundError, BrowserError, FileNotFoundError
    """
    source = Path(_file_url(html_path).removeprefix("file://"))
    with tempfile.TemporaryDirectory(prefix="tumorsim-layout-") as directory:
        copy = Path(directory) / source.name
        copy.write_text(_with_layout_script(source.read_text(encoding="utf-8")),
                        encoding="utf-8")
        dom = dump_dom(copy, timeout=timeout, virtual_time_budget_ms=virtual_time_budget_ms,
                       width=width, height=height)
    parser = _RootAttributeParser(_LAYOUT_ATTRIBUTE)
    parser.feed(dom)
    parser.close()
    if parser.value is None:
        raise BrowserError(f"the page {source} was not measured (its script did not run)")
    data = json.loads(parser.value)
    boxes = tuple(RenderedBox(**box) for box in data["boxes"])
    return PageLayout(float(data["viewport_width"]), float(data["page_width"]), boxes)


# --- reading what the browser returned -----------------------------------------------------------


@dataclass(frozen=True)
class DomFigure:
    """A ``data-kind="figure"`` element: its id and the ``src`` of every ``<img>`` inside."""

    id: str | None
    image_sources: tuple[str, ...]


@dataclass(frozen=True)
class DomTable:
    """A ``data-kind="table"`` element: its id, the text of its ``<thead>`` cells and of
    each ``<tbody>`` row's cells."""

    id: str | None
    body_rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...] = ()


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
        self._in_thead = False
        self._rows: list[tuple[str, ...]] = []
        self._header: list[str] = []
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
                self._header = []
        elif self._table_depth == 1:
            if tag == "tbody":
                self._in_tbody = True
            elif tag == "thead":
                self._in_thead = True
            elif tag == "tr" and (self._in_tbody or self._in_thead):
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
                self.tables.append(DomTable(self._table_id, tuple(self._rows),
                                            tuple(self._header)))
                self._in_tbody = False
                self._in_thead = False
        elif self._table_depth == 1:
            if tag in ("td", "th") and self._cell is not None and self._row is not None:
                self._row.append(" ".join("".join(self._cell).split()))
                self._cell = None
            elif tag == "tr" and self._row is not None:
                if self._in_thead:
                    self._header.extend(self._row)
                else:
                    self._rows.append(tuple(self._row))
                self._row = None
            elif tag == "tbody":
                self._in_tbody = False
            elif tag == "thead":
                self._in_thead = False

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
        ``data-kind="table"`` (with the text of its ``<thead>`` and ``<tbody>`` cells).
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


def png_text(data: bytes) -> dict[str, str]:
    """The text chunks (``tEXt``, ``zTXt``, uncompressed ``iTXt``) of a PNG, by keyword.

    Parameters
    ----------
    data : bytes
        The PNG file's bytes.

    Returns
    -------
    dict of str to str

    Raises
    ------
    ValueError
        If ``data`` is not a PNG file or a chunk is cut short.
    """
    png_size(data)
    texts: dict[str, str] = {}
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if len(body) < length:
            raise ValueError(f"PNG chunk {kind!r} is cut short")
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            texts[keyword.decode("latin-1")] = text.decode("latin-1")
        elif kind == b"zTXt":
            keyword, _, rest = body.partition(b"\0")
            texts[keyword.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            keyword, _, rest = body.partition(b"\0")
            compressed = rest[0] == 1
            _, _, rest = rest[2:].partition(b"\0")  # language tag
            _, _, text = rest.partition(b"\0")  # translated keyword
            texts[keyword.decode("latin-1")] = (zlib.decompress(text) if compressed
                                                else text).decode("utf-8")
        elif kind == b"IEND":
            break
        offset += 12 + length
    return texts
