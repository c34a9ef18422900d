"""Measurements: a stored recording with its indices and charts, and the analysis of an
uploaded file (any supported format; not stored).

``GET /measurements/{id}`` (HTML) with ``GET /api/measurements/{id}``;
``GET``/``POST /upload`` (HTML form) with ``POST /api/upload``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Iterator
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import UploadFile as FormFile
from starlette.exceptions import HTTPException

from vagus.app import MAX_UPLOAD_BYTES, App, AppError, UserError, report_json
from vagus.app.measurements import (
    UPLOAD_CHUNK_BYTES,
    UPLOAD_TIME_LIMIT_S,
    UploadBusyError,
    UploadTooLargeError,
    spectrum_of,
)
from vagus.hrv import HrvReport
from vagus.program import Lang
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render
from vagus.web._errors import TooLargeError, error_body, error_html, status_of
from vagus.web._i18n import tr
from vagus.web._present import coherence_summary, measurement_summary
from vagus.web._svg import poincare_svg, spectrum_svg, tachogram_svg

#: What a multipart form adds around the file (boundaries, part headers, the CSRF field).
FORM_OVERHEAD_BYTES: Final = 64 * 1024
#: Seconds after which a client may try again once the server was busy with other uploads.
BUSY_RETRY_AFTER_S: Final = 60


def too_large() -> TooLargeError:
    """413: an upload larger than the server reads."""
    return TooLargeError(
        f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MB",
        "file",
        key="errors.file_too_large",
        mb=MAX_UPLOAD_BYTES // 2**20,
    )


async def refuse_large_body(request: Request) -> None:
    """Router dependency, before the CSRF check may read a form: an upload is refused by its
    ``Content-Length`` before a byte of it is read (413; issue 11: a 600 MB upload was read
    into memory first), and one without a length (``Transfer-Encoding: chunked``) is refused
    with 411, so nothing is read whose size is unknown. Browsers, curl and httpx send the
    length of a form; the server reads no more than it says."""
    if request.method not in {"POST", "PUT", "PATCH"}:
        return
    length = request.headers.get("content-length")
    if length is None:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            raise HTTPException(411, "file: send the upload with a Content-Length header")
        return
    if not length.strip().isdigit():
        raise AppError(f"Content-Length: {length[:20]!r} is not a number of bytes", "file")
    if int(length) > MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
        raise too_large()


router = APIRouter(dependencies=[Depends(refuse_large_body), Depends(csrf_protect)])


class UploadTimeoutError(AppError):
    """The upload's reading and analysis passed :data:`UPLOAD_TIME_LIMIT_S` (503)."""


async def analyze_in_worker(app: App, upload: FormFile) -> HrvReport:
    """The upload analysed in a worker thread, within :data:`UPLOAD_TIME_LIMIT_S`, so that the
    server answers other requests meanwhile. The file (spooled to disk by the form parser) is
    handed over in chunks, never read whole."""
    cancel = threading.Event()
    file = upload.file

    def chunks() -> Iterator[bytes]:
        file.seek(0)
        yield from iter(functools.partial(file.read, UPLOAD_CHUNK_BYTES), b"")

    work = asyncio.to_thread(
        app.measurements.analyze_upload, upload.filename, chunks(), cancel=cancel
    )
    try:
        return await asyncio.wait_for(work, UPLOAD_TIME_LIMIT_S)
    except TimeoutError:
        # A thread cannot be stopped from outside: it stops at its next chunk or step, and
        # meanwhile holds one of the app's upload slots.
        cancel.set()
        raise UploadTimeoutError(
            f"file: reading and analysing {upload_label(upload)} took longer than "
            f"{UPLOAD_TIME_LIMIT_S:g} s, so the server stopped; analyse a shorter recording, or "
            f"run `vagus hrv` on the file",
            "file",
        ) from None
    except UploadTooLargeError:
        raise too_large() from None


def upload_label(upload: FormFile) -> str:
    """The upload's name for a message, cut short."""
    name = (upload.filename or "the file").replace("\x00", "")
    return repr(name if len(name) <= 40 else name[:37] + "...")


def upload_status(error: UserError) -> int:
    """The status of an upload's error: busy and timed out are 503s (the server's state, not
    the file's fault), the rest as :func:`vagus.web._errors.status_of` maps them."""
    if isinstance(error, (UploadBusyError, UploadTimeoutError)):
        return 503
    return status_of(error)


def upload_headers(error: UserError) -> dict[str, str]:
    return {"Retry-After": str(BUSY_RETRY_AFTER_S)} if isinstance(error, UploadBusyError) else {}


def measurement_charts(
    nn_ms: list[float],
    indices: dict[str, Any],
    spectrum: dict[str, list[float]] | None,
    lang: Lang,
) -> list[dict[str, str]]:
    """The measurement page's figures: tachogram, Poincaré plot and (when the app computed
    one: a minute of beats or more) the Welch spectrum."""

    def numbers(key: str, **names: str) -> str:
        # The chart's own numbers in its description, for a screen reader (WCAG 1.1.1): each
        # named index that was computed, with its unit.
        shown = {
            field: f"{indices[name]:.3g}" if abs(indices[name]) < 10 else f"{indices[name]:.0f}"
            for field, name in names.items()
            if indices.get(name) is not None
        }
        return " " + tr(key, lang, **shown) if len(shown) == len(names) else ""

    charts = [
        {
            "svg": tachogram_svg(
                nn_ms,
                tr("measurement.tachogram", lang),
                tr("measurement.tachogram_desc", lang)
                + numbers("measurement.tachogram_numbers", mean="mean_nn", sdnn="sdnn"),
                chart_id="tachogram",
            ),
            "caption": tr("measurement.tachogram", lang),
        },
        {
            "svg": poincare_svg(
                nn_ms,
                tr("measurement.poincare", lang),
                tr("measurement.poincare_desc", lang)
                + numbers("measurement.poincare_numbers", sd1="sd1", sd2="sd2"),
                chart_id="poincare",
                sd1_ms=indices.get("sd1"),
                sd2_ms=indices.get("sd2"),
            ),
            "caption": tr("measurement.poincare", lang),
        },
    ]
    if spectrum is not None:
        charts.append(
            {
                "svg": spectrum_svg(
                    spectrum["freqs_hz"],
                    spectrum["psd_ms2_per_hz"],
                    tr("measurement.spectrum", lang),
                    tr("measurement.spectrum_desc", lang)
                    + numbers("measurement.spectrum_numbers", lf="lf", hf="hf", peak="lf_peak"),
                    chart_id="spectrum",
                ),
                "caption": tr("measurement.spectrum", lang),
            }
        )
    return charts


@router.get("/measurements/{recording_id}", response_class=HTMLResponse, include_in_schema=False)
def measurement_page(request: Request, recording_id: int, app: AppDep) -> Response:
    lang = choose_lang(request)
    data = app.measurements.get(recording_id, lang)
    analysis = data.get("analysis")
    indices = analysis.get("indices", {}) if isinstance(analysis, dict) else {}
    nn = data["nn_ms"] if data.get("nn_ms") is not None else data["rr_ms"]
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.title", lang, id=recording_id),
            "analysis": analysis,
            "summary": measurement_summary(analysis, lang),
            "coherence": coherence_summary(analysis, lang),
            "notices": data["notices"],
            "table": data["table"],
            "charts": measurement_charts(nn, indices, data.get("spectrum"), lang),
            "entry": data,
        },
    )


@router.get("/api/measurements/{recording_id}")
def get_measurement(recording_id: int, app: AppDep, lang: LangDep) -> dict[str, Any]:
    """One measurement: the stored analysis, its RR and NN intervals, the index table and
    the spectrum (``null`` under a minute of beats)."""
    return app.measurements.get(recording_id, lang)


# --- upload -------------------------------------------------------------------------------------


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_form(request: Request) -> Response:
    return render(request, "upload.html", {"error": None})


@router.post("/upload", response_class=HTMLResponse, include_in_schema=False)
async def upload_submit(request: Request, app: AppDep) -> Response:
    lang = choose_lang(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, FormFile) or not upload.filename:
        return render(request, "upload.html", {"error": tr("upload.no_file", lang)}, status=400)
    try:
        report = await analyze_in_worker(app, upload)
    except UserError as error:
        response = render(
            request, "upload.html", {"error": error_html(error, lang)}, status=upload_status(error)
        )
        response.headers.update(upload_headers(error))
        return response
    out = report_json(report, lang)
    spectrum = spectrum_of(out["nn_ms"])
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.upload_title", lang, name=upload.filename),
            "analysis": out,
            "summary": measurement_summary(out, lang),
            "coherence": None,
            "notices": out["notices"],
            "table": out["table"],
            "charts": measurement_charts(
                out["nn_ms"],
                out["indices"],
                None
                if spectrum is None
                else {"freqs_hz": spectrum.freqs_hz, "psd_ms2_per_hz": spectrum.psd_ms2_per_hz},
                lang,
            ),
            "entry": None,
        },
    )


#: The body of ``POST /api/upload`` in the OpenAPI schema: the route reads the form itself,
#: after the Content-Length check, so FastAPI does not declare it.
UPLOAD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


@router.post("/api/upload", openapi_extra=UPLOAD_BODY, response_model=None)
async def post_upload(request: Request, app: AppDep, lang: LangDep) -> Response:
    """Analyse a recording of any supported format (not stored), sent as the multipart field
    ``file``; 400 with the reader's message, 413 when it is too large (refused by its
    Content-Length before it is read), 503 when the server is busy with other uploads or the
    analysis passes its time limit."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, FormFile):
        raise AppError("file: no file was sent; expected a multipart form field file", "file")
    try:
        report = await analyze_in_worker(app, upload)
    except (UploadBusyError, UploadTimeoutError) as error:
        return JSONResponse(error_body(error, lang), status_code=503, headers=upload_headers(error))
    name = upload.filename

    def answer() -> Response:
        # Shaped and encoded in the worker thread: a day of beats is a million values of
        # nn_ms, about a second of JSON encoding that on the event loop stalled every other
        # request (benchmarks/security_load.py --extra: GET / waited 839 ms).
        return JSONResponse(jsonable_encoder({"filename": name} | report_json(report, lang)))

    return await asyncio.to_thread(answer)
