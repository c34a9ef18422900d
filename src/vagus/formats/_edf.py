"""EDF, EDF+ and BDF recordings through pyedflib: the ECG (or PPG) channel, in physical units.

Layouts:

- EDF: a 256-byte ASCII header starting with the version ``"0       "``, one 256-byte header per
  signal, then data records of 16-bit samples (Kemp et al. 1992, Electroencephalogr Clin
  Neurophysiol 82:391-393; https://www.edfplus.info/specs/edf.html).
- EDF+: the same, with ``EDF+C`` (continuous) or ``EDF+D`` (discontinuous) at the start of the
  44-byte reserved field at byte 192, and an "EDF Annotations" signal (Kemp & Olivan 2003, Clin
  Neurophysiol 114:1755-1761; https://www.edfplus.info/specs/edfplus.html).
- BDF: BioSemi's 24-bit variant, whose first byte is 255 followed by ``BIOSEMI``
  (https://www.biosemi.com/faq/file_format.htm).

Memory: pyedflib's ``readSignal`` allocates one float64 array for the chosen channel and fills it
in C from the file, so the signal is never copied afterwards; a 24-hour channel at 250 Hz is
21.6 million samples, 173 MB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pyedflib

from vagus.formats._channels import pick_channel
from vagus.formats._common import FormatError, check_file
from vagus.formats._recording import Recording
from vagus.hrv._notices import Notice

EDF_MAGIC: Final[bytes] = b"0       "
BDF_MAGIC: Final[bytes] = b"\xffBIOSEMI"
#: Byte offset and length of the EDF header's reserved field, where EDF+ writes EDF+C / EDF+D.
EDF_RESERVED_OFFSET: Final[int] = 192
EDF_RESERVED_LENGTH: Final[int] = 44
_FILETYPES: Final[dict[int, str]] = {0: "EDF", 1: "EDF+", 2: "BDF", 3: "BDF+"}


def is_edf(head: bytes) -> bool:
    """Whether the first bytes are an EDF, EDF+ or BDF header.

    >>> is_edf(b"0       " + b" " * 248), is_edf(b"\\xffBIOSEMI"), is_edf(b"PK\\x03\\x04")
    (True, True, False)
    """
    return head.startswith((EDF_MAGIC, BDF_MAGIC))


def edf_variant(head: bytes) -> str:
    """EDF, EDF+C, EDF+D or BDF from the header bytes.

    >>> edf_variant(b"0       " + b" " * 184 + b"EDF+D" + b" " * 39)
    'EDF+D'
    """
    if head.startswith(BDF_MAGIC):
        return "BDF"
    reserved = head[EDF_RESERVED_OFFSET : EDF_RESERVED_OFFSET + EDF_RESERVED_LENGTH]
    for variant in (b"EDF+C", b"EDF+D"):
        if reserved.startswith(variant):
            return variant.decode()
    return "EDF"


def read_edf(path: Path, *, channel: str | None) -> Recording:
    """Read the heartbeat channel of an EDF/EDF+/BDF file."""
    source = str(path)
    check_file(path)
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as error:
        # pyedflib says what is wrong with the header (wrong size, bad field) in its message.
        raise FormatError(f"{source}: not a readable EDF/BDF file ({error})") from None
    except Exception as error:  # the C reader raises assorted types for broken headers
        raise FormatError(f"{source}: not a readable EDF/BDF file ({error})") from None
    try:
        labels = tuple(label.strip() for label in reader.getSignalLabels())
        index, kind = pick_channel(labels, channel, source)
        fs_hz = float(reader.getSampleFrequency(index))
        if not np.isfinite(fs_hz) or fs_hz <= 0:
            raise FormatError(
                f"{source}: channel {labels[index]!r} has a sampling rate of {fs_hz:g} Hz; "
                f"expected a positive rate"
            )
        signal = reader.readSignal(index)
        unit = reader.getPhysicalDimension(index).strip()
        start = reader.getStartdatetime()
        filetype = _FILETYPES.get(int(reader.filetype), "EDF")
        metadata = {"variant": filetype}
        for key, value in (
            ("subject", reader.getPatientCode() or reader.getPatientName()),
            ("equipment", reader.getEquipment()),
            ("technician", reader.getTechnician()),
            ("recording", reader.getRecordingAdditional()),
            ("transducer", reader.getTransducer(index)),
            ("prefilter", reader.getPrefilter(index)),
            ("unit", unit),
        ):
            if value and value.strip():
                metadata[key] = value.strip()
        if int(reader.annotations_in_file):
            metadata["annotations"] = str(int(reader.annotations_in_file))
    except FormatError:
        raise
    except Exception as error:
        raise FormatError(f"{source}: the EDF/BDF data cannot be read ({error})") from None
    finally:
        reader.close()
    if signal.size == 0:
        raise FormatError(f"{source}: channel {labels[index]!r} holds no samples")
    warnings: list[str] = []
    with path.open("rb") as file:
        if edf_variant(file.read(256)) == "EDF+D":
            metadata["variant"] = "EDF+D"
            warnings.append(
                Notice(
                    "formats.edf.discontinuous",
                    "the file is EDF+D (discontinuous): its records are read back to back, so "
                    "beat intervals across a recording gap are wrong",
                )
            )
    return Recording(
        source,
        "edf",
        kind,
        None,
        np.asarray(signal, dtype=np.float64),
        fs_hz,
        labels[index],
        start,
        metadata,
        warnings,
        channels=labels,
    )
