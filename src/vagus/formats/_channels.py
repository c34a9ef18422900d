"""Which channel of a multi-channel recording (EDF, WFDB) holds the heartbeat.

Labels are free text in both formats. The EDF+ specification proposes "ECG" followed by the lead
("ECG II", "ECG V2"; Kemp & Olivan 2003, EDF+ "standard texts and polarity rules",
https://www.edfplus.info/specs/edftexts.html), and PhysioNet records name the lead alone ("MLII",
"V5" in the MIT-BIH Arrhythmia Database) or "ECG1". Limb lead II and its ambulatory twin MLII
show the tallest R waves in most people, so they are preferred when several leads are present.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from vagus.formats._common import FormatError, Kind

_ECG_WORD: Final[re.Pattern[str]] = re.compile(r"\b(ecg|ekg)", re.IGNORECASE)
#: Lead names of the 12-lead ECG (I, II, III, aVR, aVL, aVF, V1-V6) and the modified limb leads
#: of ambulatory records (MLI, MLII, MLIII), optionally after "ECG" or "Lead".
_LEAD: Final[re.Pattern[str]] = re.compile(
    r"^(?:(?:ecg|ekg|lead)[\s_-]*)?(i{1,3}|avr|avl|avf|v[1-6]|ml(?:i{1,3}))$", re.IGNORECASE
)
_LEAD_II: Final[re.Pattern[str]] = re.compile(r"(?<![a-z])(ml)?ii(?![a-z])", re.IGNORECASE)
#: Photoplethysmogram labels: "PPG", "Pleth" (pulse oximeters), "BVP" (blood volume pulse).
_PPG_WORD: Final[re.Pattern[str]] = re.compile(r"ppg|pleth|bvp", re.IGNORECASE)


def channel_kind(label: str) -> Kind | None:
    """``"ecg"``, ``"ppg"`` or ``None`` for a channel label.

    >>> [channel_kind(x) for x in ("ECG II", "MLII", "V5", "EKG", "Pleth", "EEG Fpz-Cz")]
    ['ecg', 'ecg', 'ecg', 'ecg', 'ppg', None]
    """
    text = label.strip()
    if _ECG_WORD.search(text) or _LEAD.match(text):
        return "ecg"
    if _PPG_WORD.search(text):
        return "ppg"
    return None


def pick_channel(labels: Sequence[str], wanted: str | None, source: str) -> tuple[int, Kind]:
    """The index and kind of the channel to read.

    ``wanted`` is a label (case-insensitive) or a 0-based index; without it, the first ECG channel
    (lead II preferred), else the first PPG channel.

    >>> pick_channel(["EEG", "V5", "MLII"], None, "r")
    (2, 'ecg')
    >>> pick_channel(["EEG", "Pleth"], None, "r")
    (1, 'ppg')
    >>> pick_channel(["EEG", "Pleth"], "0", "r")
    (0, 'ecg')
    """
    shown = ", ".join(repr(label) for label in labels) or "none"
    if wanted is not None:
        target = wanted.strip().lower()
        for index, label in enumerate(labels):
            if label.strip().lower() == target:
                return index, channel_kind(label) or "ecg"
        if target.isdigit() and int(target) < len(labels):
            index = int(target)
            return index, channel_kind(labels[index]) or "ecg"
        raise FormatError(
            f"{source}: no channel {wanted!r}; the channels are {shown} (give a label or a "
            f"0-based index)"
        )
    ecg = [i for i, label in enumerate(labels) if channel_kind(label) == "ecg"]
    if ecg:
        lead_ii = [i for i in ecg if _LEAD_II.search(labels[i])]
        return (lead_ii or ecg)[0], "ecg"
    ppg = [i for i, label in enumerate(labels) if channel_kind(label) == "ppg"]
    if ppg:
        return ppg[0], "ppg"
    raise FormatError(
        f"{source}: no ECG or PPG channel found by label (channels: {shown}); name the channel "
        f"to use with --channel"
    )
