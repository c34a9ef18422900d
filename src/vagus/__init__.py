"""vagus: train the vagus nerve with guided exercises, and measure it with validated HRV.

The public API lives in the subpackages; :mod:`vagus.hrv` is the HRV engine.
"""

__version__ = "0.1.0"
