"""Raw ECG and PPG to beat times: detection, signal quality, sub-sample refinement.

Pure numpy/scipy (and sleepecg's compiled R-peak detector); no I/O. The file readers in
``vagus.formats`` call these and hand :meth:`BeatDetection.rr_ms` to ``vagus.hrv.analyze``.

>>> import numpy as np
>>> from vagus.signals import detect_ppg_beats
>>> fs = 50.0
>>> t = np.arange(0, 30, 1 / fs)
>>> pulse = np.exp(-(((t % 1.0) - 0.5) ** 2) / 0.005)  # one pulse a second
>>> beats = detect_ppg_beats(pulse, fs)
>>> np.round(beats.rr_ms()[:3])
array([1000., 1000., 1000.])
"""

from vagus.signals._detection import BeatDetection
from vagus.signals.ecg import detect_ecg_beats
from vagus.signals.ppg import detect_ppg_beats

__all__ = ["BeatDetection", "detect_ecg_beats", "detect_ppg_beats"]
