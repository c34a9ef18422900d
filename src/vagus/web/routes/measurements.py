"""Measurements: a stored recording with its indices and charts, and the analysis of an
uploaded file (any supported format; not stored).

``GET /measurements/{id}`` (HTML) with ``GET /api/measurements/{id}``;
``GET``/``POST /upload`` (HTML form) with ``POST /api/upload``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from vagus.app import MAX_UPLOAD_BYTES, UserError, report_json
from vagus.app.measurements import spectrum_of
from vagus.program import Lang
from vagus.web._deps import AppDep, LangDep, choose_lang, csrf_protect, render
from vagus.web._errors import TooLargeError, error_html, status_of
from vagus.web._i18n import tr
from vagus.web._svg import poincare_svg, spectrum_svg, tachogram_svg

router = APIRouter(dependencies=[Depends(csrf_protect)])


def check_upload_size(data: bytes) -> None:
    """413 for an upload larger than the server reads."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLargeError(
            f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MB",
            "file",
            key="errors.file_too_large",
            mb=MAX_UPLOAD_BYTES // 2**20,
        )


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
    data = await upload.read()
    try:
        check_upload_size(data)
        report = app.measurements.analyze_upload(upload.filename, data)
    except UserError as error:
        return render(
            request, "upload.html", {"error": error_html(error, lang)}, status=status_of(error)
        )
    out = report_json(report, lang)
    spectrum = spectrum_of(out["nn_ms"])
    return render(
        request,
        "measurement.html",
        {
            "title": tr("measurement.upload_title", lang, name=upload.filename),
            "analysis": out,
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


@router.post("/api/upload")
async def post_upload(
    app: AppDep, file: Annotated[UploadFile, File()], lang: LangDep
) -> dict[str, Any]:
    """Analyse a recording of any supported format (not stored); 400 with the reader's
    message, 413 when it is too large."""
    data = await file.read()
    check_upload_size(data)
    name = file.filename or "upload.txt"
    report = await run_in_threadpool(app.measurements.analyze_upload, name, data)
    return {"filename": file.filename} | report_json(report, lang)
