"""Sensors: BLE heart-rate straps, a replay of a real recording, and a simulator."""

from vagus.devices._sensor import Beat, Sensor, SensorError, SensorInfo, SensorKind

__all__ = ["Beat", "Sensor", "SensorError", "SensorInfo", "SensorKind"]
