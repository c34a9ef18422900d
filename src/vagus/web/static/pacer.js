/*
 * The breathing pacer in the browser: a line-for-line port of vagus.program.pacer.phase_at.
 *
 * The phase is a pure function of the pattern and the elapsed time (pauses excluded); the
 * player never counts animation frames, so a slow or hidden tab cannot make the guide drift.
 * All arithmetic is in whole milliseconds, exactly as in Python, so both sides agree on every
 * boundary (tests/web/test_player.py runs this file with Node against the Python module):
 *
 *   t = floor(elapsed_s * 1000 + 0.5)      integer ms (Python: to_ms)
 *   k = floor(t / cycle_ms)                completed cycles
 *   r = t - k * cycle_ms                   ms into the current cycle
 *   phase = the first phase whose end offset is > r (zero-length holds are skipped)
 *   lung  = half cosine (1 - cos(pi f)) / 2 rising in, mirrored out; 1 on hold_in, 0 on hold_out
 *
 * Works as a plain <script> (window.VagusPacer) and as a CommonJS module (Node, for the test).
 */
(function (root) {
  "use strict";

  var PHASES = ["inhale", "hold_in", "exhale", "hold_out"];
  var MS_PER_S = 1000;

  /* Seconds to whole ms, halves up (Python's to_ms uses the same formula). */
  function toMs(seconds) {
    return Math.floor(seconds * MS_PER_S + 0.5);
  }

  /* A pattern from seconds: each part rounded to the ms as BreathPattern does.
   * Accepts the server's pattern JSON ({inhale_s, hold_in_s, exhale_s, hold_out_s}). */
  function makePattern(p) {
    var ms = [
      toMs(p.inhale_s || 0),
      toMs(p.hold_in_s || 0),
      toMs(p.exhale_s || 0),
      toMs(p.hold_out_s || 0),
    ];
    for (var i = 0; i < 4; i++) {
      if (!isFinite(ms[i]) || ms[i] < 0) {
        throw new RangeError("pattern: " + PHASES[i] + " must be a finite number of seconds >= 0");
      }
    }
    var cycle = ms[0] + ms[1] + ms[2] + ms[3];
    if (cycle <= 0) {
      throw new RangeError("pattern: the breath cycle must be longer than 0 s");
    }
    return { ms: ms, cycleMs: cycle };
  }

  /* Fill of the breathing animation, 0..1, at fraction f of the way through a phase. */
  function lungFill(phase, fraction) {
    var f = Math.min(Math.max(fraction, 0.0), 1.0);
    if (phase === "inhale") {
      return (1.0 - Math.cos(Math.PI * f)) / 2.0;
    }
    if (phase === "exhale") {
      return (1.0 + Math.cos(Math.PI * f)) / 2.0;
    }
    return phase === "hold_in" ? 1.0 : 0.0;
  }

  /* The pacer's state elapsedS seconds after the first in-breath began. */
  function phaseAt(pattern, elapsedS) {
    if (!isFinite(elapsedS) || elapsedS < 0) {
      throw new RangeError("elapsed time must be a finite number of seconds >= 0, got " + elapsedS);
    }
    var tMs = toMs(elapsedS);
    var cycle = Math.floor(tMs / pattern.cycleMs);
    var rMs = tMs - cycle * pattern.cycleMs;
    var startMs = 0;
    for (var i = 0; i < 4; i++) {
      var lengthMs = pattern.ms[i];
      var endMs = startMs + lengthMs;
      if (rMs < endMs) {
        var intoMs = rMs - startMs;
        return {
          phase: PHASES[i],
          cycle: cycle,
          phaseElapsedS: intoMs / MS_PER_S,
          phaseRemainingS: (endMs - rMs) / MS_PER_S,
          lung: lungFill(PHASES[i], intoMs / lengthMs),
        };
      }
      startMs = endMs;
    }
    throw new Error("unreachable: r is always inside the cycle");
  }

  var api = { PHASES: PHASES, toMs: toMs, makePattern: makePattern, lungFill: lungFill, phaseAt: phaseAt };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.VagusPacer = api;
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
