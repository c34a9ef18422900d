"""Sensors: BLE heart-rate straps, a replay of a real recording, and a simulator.

``devices/ble.py`` is the only module that imports bleak (lazily), so everything else here runs
and is tested without Bluetooth.
"""

from vagus.devices._sensor import Beat, Sensor, SensorError, SensorInfo, SensorKind
from vagus.devices.ble import BleHeartRateSensor, BleSensorError
from vagus.devices.ble import scan as scan_ble
from vagus.devices.replay import ReplaySensor
from vagus.devices.simulated import (
    ARTIFACT_KINDS,
    ArtifactKind,
    Breathing,
    SimulatedRr,
    SimulatedSensor,
    simulate_rr,
    sine_breathing,
)

__all__ = [
    "ARTIFACT_KINDS",
    "ArtifactKind",
    "Beat",
    "BleHeartRateSensor",
    "BleSensorError",
    "Breathing",
    "ReplaySensor",
    "Sensor",
    "SensorError",
    "SensorInfo",
    "SensorKind",
    "SimulatedRr",
    "SimulatedSensor",
    "scan_ble",
    "simulate_rr",
    "sine_breathing",
]
