/*
 * A Bluetooth heart-rate strap connected in the browser (Web Bluetooth), its beats sent to the
 * server, which records them and answers with the live HRV.
 *
 * window.VagusStrap:
 *   supported()                 navigator.bluetooth is there and the page is a secure context
 *                               (Web Bluetooth exists only in secure contexts: https, or
 *                               http://localhost / 127.0.0.1; see docs/web-bluetooth.md).
 *   parseHeartRate(dataView)    one Heart Rate Measurement (0x2A37) notification, decoded as
 *                               vagus.devices.gatt.parse_heart_rate_measurement does, to
 *                               {hr_bpm, contact, energy_kj, rr_ms}; throws Error with the same
 *                               message as the Python parser for a malformed packet.
 *   makeTimeline()              the beat timeline of vagus.devices.ble (t_s = running sum of RR,
 *                               gap_before after lost contact, a reconnect, or wall time beyond
 *                               the RR sum by more than 3 s), for connect() and the tests.
 *   connect(options)            asks for a strap (the browser's chooser: call it from a click),
 *                               connects, opens a recording on the server and streams its beats;
 *                               a Promise of {stop() -> Promise of the summary, recordingId}.
 *     options: {csrf, lang, onUpdate(event), onStatus(key, detail), onBeat(beat)?}
 *       onUpdate gets each object of the server's answer, the same as the data of the
 *       server-sent "beat" events of /api/live/stream, so the player draws both alike.
 *       onStatus keys: "connecting", "connected", "reconnecting", "disconnected",
 *       "unsupported", "error"; detail is the strap's name or a technical message (or null).
 *
 * Sources: Bluetooth SIG, Heart Rate Service 1.0 (2011), section 3.1, and the GATT Specification
 * Supplement's heart_rate_measurement; W3C Web Bluetooth (Community Group draft), sections
 * "requestDevice", "GATT Server disconnected" and its secure-context requirement.
 *
 * No framework, no CDN, no inline script (the pages' Content-Security-Policy forbids it). Works
 * as a plain <script> (window.VagusStrap) and as a CommonJS module (Node runs parseHeartRate
 * and the timeline in tests/web/test_strap.py against the Python).
 */
(function (root) {
  "use strict";

  /* --- Heart Rate Measurement (HRS 1.0 section 3.1), as vagus/devices/gatt.py ---------------- */
  var FLAG_HR_UINT16 = 0x01; /* bit 0: the heart rate is a uint16 (else uint8) */
  var FLAG_CONTACT_DETECTED = 0x02; /* bit 1: contact detected (only with bit 2) */
  var FLAG_CONTACT_SUPPORTED = 0x04; /* bit 2: contact detection supported */
  var FLAG_ENERGY_PRESENT = 0x08; /* bit 3: Energy Expended (uint16 kJ) is present */
  var FLAG_RR_PRESENT = 0x10; /* bit 4: one or more RR-Interval values are present */
  /* Bits 5-7 are reserved and ignored, as in gatt.py (a later revision may define them). */
  var RR_UNITS_PER_S = 1024; /* RR-Interval resolution: 1/1024 s */
  var MS_PER_S = 1000;
  var UINT8_BYTES = 1;
  var UINT16_BYTES = 2;

  /* --- what the server accepts (vagus.hrv._constants; vagus.web._live) ------------------------ */
  var MIN_RR_MS = 200; /* MIN_RR_MS: 300 bpm */
  var MAX_RR_MS = 3000; /* MAX_RR_MS: a 3 s pause */
  /* Wall-clock time not accounted for by RR intervals beyond this means beats are missing
     (vagus.devices.ble.MAX_UNACCOUNTED_S: no RR interval is longer), s. */
  var MAX_UNACCOUNTED_S = MAX_RR_MS / MS_PER_S;
  var MAX_BEATS_PER_POST = 600; /* vagus.web._live.MAX_BEATS_PER_POST */
  var MAX_GAP_S = 86400; /* vagus.web._live.MAX_GAP_S */

  /* --- timing --------------------------------------------------------------------------------- */
  /* Beats are posted about once a second: the display follows within a second, and a post per
     beat (up to 3 a second) would cost more requests than it buys. */
  var POST_INTERVAL_MS = 1000;
  /* After a failed post, wait this long before the next try (the last one repeats), ms. */
  var POST_RETRY_MS = [1000, 2000, 4000, 8000, 15000];
  /* stop() tries to send what is left this many times before it gives up (the server finishes
     the recording by itself 10 minutes later). */
  var FLUSH_ATTEMPTS = 3;
  /* A post without an answer after this long is given up and sent again (its seq makes the
     repeat harmless if the server did store it), ms. */
  var POST_TIMEOUT_MS = 15000;
  /* Reconnection after a drop, as vagus.devices.ble: waits between attempts (the last repeats)
     and the total time before giving up, ms. */
  var RECONNECT_BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
  var MAX_RECONNECT_MS = 60000;
  /* Connecting (with service discovery) and any other GATT step, ms (vagus.devices.ble's
     DEFAULT_CONNECT_TIMEOUT_S and GATT_TIMEOUT_S): a strap that does not answer must not leave
     "connecting" on the screen for ever. */
  var CONNECT_TIMEOUT_MS = 20000;
  var GATT_TIMEOUT_MS = 5000;
  var BATTERY_MAX_PERCENT = 100;
  var DEFAULT_NAME = "Bluetooth heart-rate strap";

  function hex2(value) {
    return ("0" + value.toString(16)).slice(-2);
  }

  function asDataView(data) {
    if (data instanceof DataView) return data;
    if (data instanceof ArrayBuffer) return new DataView(data);
    if (ArrayBuffer.isView(data)) {
      return new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    if (Array.isArray(data)) return new DataView(new Uint8Array(data).buffer);
    throw new TypeError("heart rate measurement: expected a DataView");
  }

  /* Every multi-byte field is little-endian ("LSO first"). The messages are gatt.py's. */
  function parseHeartRate(data) {
    var view = asDataView(data);
    var length = view.byteLength;
    if (length === 0) {
      throw new Error(
        "heart rate measurement: empty packet (expected a flags byte and a heart rate)"
      );
    }
    var flags = view.getUint8(0);
    var hrBytes = flags & FLAG_HR_UINT16 ? UINT16_BYTES : UINT8_BYTES;
    var hasEnergy = Boolean(flags & FLAG_ENERGY_PRESENT);
    var hasRr = Boolean(flags & FLAG_RR_PRESENT);
    /* The fixed part the flags announce, plus at least one RR value when bit 4 is set ("one or
       more RR-Interval values are present"). */
    var fixed = 1 + hrBytes + (hasEnergy ? UINT16_BYTES : 0);
    var needed = fixed + (hasRr ? UINT16_BYTES : 0);
    if (length < needed) {
      var parts = ["a " + 8 * hrBytes + "-bit heart rate"];
      if (hasEnergy) parts.push("energy expended");
      if (hasRr) parts.push("at least one RR interval");
      throw new Error(
        "heart rate measurement: flags 0x" + hex2(flags) + " announce " + parts.join(" + ") +
          " (" + needed + " bytes), but the packet has " + length
      );
    }
    var offset = 1;
    var hr = hrBytes === UINT16_BYTES ? view.getUint16(offset, true) : view.getUint8(offset);
    offset += hrBytes;
    var energy = null;
    if (hasEnergy) {
      energy = view.getUint16(offset, true);
      offset += UINT16_BYTES;
    }
    var rest = length - offset;
    var rr = [];
    if (hasRr) {
      if (rest % UINT16_BYTES) {
        throw new Error(
          "heart rate measurement: " + rest + " RR bytes after offset " + offset +
            " (expected a whole number of 2-byte RR intervals)"
        );
      }
      /* raw * 1000 / 1024 is exact in binary floating point, as in Python: no rounding. */
      for (var i = offset; i < length; i += UINT16_BYTES) {
        rr.push((view.getUint16(i, true) * MS_PER_S) / RR_UNITS_PER_S);
      }
    } else if (rest) {
      /* Bytes no flag announces (most likely RR values with bit 4 clear): refused, not guessed. */
      throw new Error(
        "heart rate measurement: " + rest + " bytes after offset " + offset + " that flags 0x" +
          hex2(flags) + " do not announce (RR bit 4 is clear)"
      );
    }
    var contact = null;
    if (flags & FLAG_CONTACT_SUPPORTED) contact = Boolean(flags & FLAG_CONTACT_DETECTED);
    return { hr_bpm: hr, contact: contact, energy_kj: energy, rr_ms: rr };
  }

  /* --- the beat timeline: vagus.devices.ble.BleHeartRateSensor._beats_from ------------------ */
  /* t_s is the running sum of the strap's RR intervals (its own clock, exact). Across a gap the
     RR sum cannot know how long the strap was away, so the time jumps by the wall-clock time
     that passed. A gap: after lost contact (those RR values are dropped) or a reconnect, and
     when the wall-clock time since the last beat's packet exceeds the new packet's RR intervals
     by more than 3 s. A packet with no RR is not by itself a gap (below 60 bpm a strap sends
     such packets between beats). Same arithmetic, in the same order, as the Python. */
  function Timeline() {
    this.tS = 0;
    this.wallLastS = null;
    this.pendingGap = false;
  }

  Timeline.prototype.markGap = function () {
    this.pendingGap = true;
  };

  /* measurement: parseHeartRate's result; wallS: a monotonic clock in seconds. */
  Timeline.prototype.add = function (measurement, wallS) {
    if (measurement.contact === false) {
      this.pendingGap = true;
      return [];
    }
    var rrMs = measurement.rr_ms;
    if (!rrMs.length) return [];
    var sum = 0;
    for (var k = 0; k < rrMs.length; k += 1) sum += rrMs[k];
    var rrS = sum / MS_PER_S;
    var gap = false;
    var shiftS = 0;
    if (this.wallLastS !== null) {
      var unaccountedS = wallS - this.wallLastS - rrS;
      gap = this.pendingGap || unaccountedS > MAX_UNACCOUNTED_S;
      if (gap) shiftS = Math.max(0, unaccountedS);
    }
    var hr = measurement.hr_bpm > 0 ? measurement.hr_bpm : null;
    var tS = this.tS + shiftS;
    var beats = [];
    for (var i = 0; i < rrMs.length; i += 1) {
      tS += rrMs[i] / MS_PER_S;
      beats.push({ t_s: tS, rr_ms: rrMs[i], hr_bpm: hr, gap_before: gap && i === 0 });
    }
    this.tS = tS;
    this.wallLastS = wallS;
    this.pendingGap = false;
    return beats;
  };

  function makeTimeline() {
    return new Timeline();
  }

  /* --- plumbing ------------------------------------------------------------------------------- */
  function supported() {
    return Boolean(root.isSecureContext && navigator.bluetooth);
  }

  function nowS() {
    return performance.now() / MS_PER_S;
  }

  function delay(ms) {
    return new Promise(function (resolve) { root.setTimeout(resolve, ms); });
  }

  function withTimeout(promise, ms, what) {
    return new Promise(function (resolve, reject) {
      var timer = root.setTimeout(function () {
        reject(new Error(what + ": no answer within " + ms / MS_PER_S + " s"));
      }, ms);
      Promise.resolve(promise).then(
        function (value) { root.clearTimeout(timer); resolve(value); },
        function (error) { root.clearTimeout(timer); reject(error); }
      );
    });
  }

  function messageOf(error) {
    return error && error.message ? error.message : String(error);
  }

  /* A POST to the JSON API with the page's CSRF token; rejects with an Error whose .status is
     the HTTP status (none for a network failure). */
  function postJson(path, body, options) {
    var lang = options.lang || "en";
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = abort ? root.setTimeout(function () { abort.abort(); }, POST_TIMEOUT_MS) : null;
    return fetch(path + "?lang=" + encodeURIComponent(lang), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Vagus-CSRF": options.csrf || "" },
      body: JSON.stringify(body),
      signal: abort ? abort.signal : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (timer !== null) root.clearTimeout(timer);
        if (!response.ok) {
          var error = new Error(data && data.error ? data.error : "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        if (data === null) throw new Error("no answer from the server"); /* cut off: retried */
        return data;
      });
    }, function (error) {
      if (timer !== null) root.clearTimeout(timer);
      throw error;
    });
  }

  /* A failed post worth trying again: no answer at all, a server error, or "too many". */
  function retryable(error) {
    return !error.status || error.status >= 500 || error.status === 408 || error.status === 429;
  }

  /* --- connect -------------------------------------------------------------------------------- */
  function connect(options) {
    var opts = options || {};
    var onUpdate = opts.onUpdate || function () {};
    var onBeat = opts.onBeat || null;
    var statusHandler = opts.onStatus || function () {};

    function status(key, detail) {
      try {
        statusHandler(key, detail === undefined ? null : detail);
      } catch (ignored) {
        /* the page's handler must not stop the strap */
      }
    }

    if (!supported()) {
      var why = !root.isSecureContext
        ? "Web Bluetooth needs a secure context (https, or http://localhost)"
        : "this browser has no Web Bluetooth";
      status("unsupported", why);
      return Promise.reject(new Error(why));
    }

    var device = null;
    var characteristic = null;
    var name = DEFAULT_NAME;
    var timeline = new Timeline();
    /* Beats waiting for the server, oldest first: {rr_ms, gap_before, gap_s}. A beat leaves
       the queue only when the server acknowledged it, so a failed post loses nothing. */
    var queue = [];
    var lastQueuedS = 0; /* t_s of the last queued beat (the server's timeline starts at 0) */
    var gapPending = false; /* a beat was left out: the next one follows a gap */
    var stored = 0; /* beats the server acknowledged: the seq of queue[0] */
    var inFlight = null;
    var failures = 0;
    var nextPostAtMs = 0;
    var timer = null;
    var stopping = false;
    var stopPromise = null;
    var reconnecting = false;
    var endReason = null; /* why the strap went away, for the final "disconnected" */
    /* The guided session the beats belong to (its recording is linked to it), or null: a
       standalone measurement. */
    var sessionId = opts.sessionId === undefined ? null : opts.sessionId;
    var switching = false; /* between finishing one recording and opening the next */
    var controller = {
      recordingId: null, batteryPercent: null, name: null, stop: stop, link: link,
    };

    function openBody() {
      return { name: name.slice(0, 100), session_id: sessionId };
    }

    function base() {
      return "/api/live/browser/" + controller.recordingId;
    }

    /* A beat the server would refuse (outside 200-3000 ms: not a heartbeat) is left out here,
       and the beat after it follows a gap, with the time that was left out. */
    function enqueue(beat) {
      if (!(beat.rr_ms >= MIN_RR_MS && beat.rr_ms <= MAX_RR_MS)) {
        gapPending = true;
        return;
      }
      var gap = beat.gap_before || gapPending;
      var gapS = 0;
      if (gap) {
        gapS = Math.min(MAX_GAP_S, Math.max(0, beat.t_s - beat.rr_ms / MS_PER_S - lastQueuedS));
      }
      queue.push({ rr_ms: beat.rr_ms, gap_before: gap, gap_s: gapS });
      lastQueuedS = beat.t_s;
      gapPending = false;
    }

    function onNotification(event) {
      var measurement;
      try {
        measurement = parseHeartRate(event.target.value);
      } catch (error) {
        /* A malformed packet is skipped (and said), never the end of the stream, as in ble.py. */
        if (root.console) {
          root.console.warn("vagus: skipped a heart-rate packet: " + error.message);
        }
        return;
      }
      var beats = timeline.add(measurement, nowS());
      for (var i = 0; i < beats.length; i += 1) {
        if (onBeat) {
          try { onBeat(beats[i]); } catch (ignored) { /* the page's handler */ }
        }
        enqueue(beats[i]);
      }
    }

    function wire(item) {
      var out = { rr_ms: item.rr_ms, gap_before: item.gap_before };
      if (item.gap_before && item.gap_s > 0) out.gap_s = item.gap_s;
      return out;
    }

    /* One post of the oldest beats; resolves when it is acknowledged (or the queue is empty),
       rejects when it failed (the queue is kept). */
    function postOnce() {
      if (inFlight) return inFlight;
      if (!queue.length) return Promise.resolve();
      var batch = queue.slice(0, MAX_BEATS_PER_POST);
      inFlight = postJson(base() + "/beats", { beats: batch.map(wire), seq: stored }, opts)
        .then(function (data) {
          queue.splice(0, batch.length);
          stored = data.n_beats;
          failures = 0;
          nextPostAtMs = 0;
          inFlight = null;
          data.updates.forEach(function (update) {
            try { onUpdate(update); } catch (ignored) { /* the page's handler */ }
          });
        }, function (error) {
          inFlight = null;
          failures += 1;
          var wait = POST_RETRY_MS[Math.min(failures, POST_RETRY_MS.length) - 1];
          nextPostAtMs = performance.now() + wait;
          throw error;
        });
      return inFlight;
    }

    /* The recording was finished on the server (no post for 10 minutes, say after the laptop
       slept): the beats still queued start a new one. */
    function reopen() {
      return postJson("/api/live/browser", openBody(), opts).then(function (data) {
        controller.recordingId = data.recording_id;
        stored = 0;
        if (queue.length) {
          queue[0].gap_before = true;
          queue[0].gap_s = 0;
        }
      });
    }

    function tick() {
      if (stopping || switching || inFlight || !queue.length) return;
      if (performance.now() < nextPostAtMs) return;
      postOnce().then(function () {
        if (queue.length >= MAX_BEATS_PER_POST) tick(); /* catching up after a throttled tab */
      }, function (error) {
        if (error.status === 404 && !inFlight) {
          /* Held in inFlight, so no post goes to the finished recording meanwhile. */
          inFlight = reopen().then(function () {
            inFlight = null;
          }, function (again) {
            inFlight = null;
            status("error", messageOf(again));
          });
        } else if (!retryable(error)) {
          /* 403 (the CSRF token), 409, 422: sending it again will not help. */
          status("error", messageOf(error));
          stop().catch(function () {});
        }
        /* else: kept, tried again after the back-off */
      });
    }

    function subscribe() {
      return withTimeout(device.gatt.connect(), CONNECT_TIMEOUT_MS, "connect")
        .then(function (server) {
          return withTimeout(
            server.getPrimaryService("heart_rate"), GATT_TIMEOUT_MS, "heart_rate service"
          );
        })
        .then(function (service) {
          return withTimeout(
            service.getCharacteristic("heart_rate_measurement"),
            GATT_TIMEOUT_MS,
            "heart_rate_measurement"
          );
        })
        .then(function (found) {
          if (characteristic) {
            characteristic.removeEventListener("characteristicvaluechanged", onNotification);
          }
          characteristic = found;
          characteristic.addEventListener("characteristicvaluechanged", onNotification);
          return withTimeout(
            characteristic.startNotifications(), GATT_TIMEOUT_MS, "start notifications"
          );
        });
    }

    function readBattery() {
      /* Optional (the Battery service is in optionalServices): a strap without it is fine. */
      var service = device.gatt.getPrimaryService("battery_service");
      return withTimeout(service, GATT_TIMEOUT_MS, "battery service")
        .then(function (service) { return service.getCharacteristic("battery_level"); })
        .then(function (level) { return level.readValue(); })
        .then(function (value) {
          var percent = asDataView(value).getUint8(0);
          controller.batteryPercent = percent <= BATTERY_MAX_PERCENT ? percent : null;
        })
        .catch(function () { controller.batteryPercent = null; });
    }

    /* W3C Web Bluetooth: "gattserverdisconnected" fires on the device when the link drops.
       Reconnecting needs no new user gesture for a device this page already has. */
    function onDisconnected() {
      if (stopping || reconnecting) return;
      reconnecting = true;
      timeline.markGap();
      status("reconnecting", name);
      var startedMs = performance.now();
      var attempt = 0;
      function again() {
        var wait = RECONNECT_BACKOFF_MS[Math.min(attempt, RECONNECT_BACKOFF_MS.length - 1)];
        if (wait >= MAX_RECONNECT_MS - (performance.now() - startedMs)) {
          reconnecting = false;
          endReason = "lost the connection to " + name;
          stop().catch(function () {});
          return;
        }
        attempt += 1;
        delay(wait).then(function () {
          if (stopping) return null;
          return subscribe().then(function () {
            reconnecting = false;
            if (stopping) return unsubscribe(); /* stopped while this attempt ran */
            timeline.markGap(); /* as vagus.devices.ble does on _Reconnected */
            status("connected", name);
            return null;
          }, again);
        });
      }
      again();
    }

    /* Send everything queued (a few tries), then finish the recording on the server. */
    function flush(attempt) {
      var pending = inFlight || Promise.resolve();
      return pending.catch(function () {}).then(function () {
        if (!queue.length) return null;
        return postOnce().then(function () { return flush(0); }, function (error) {
          if (error.status === 404) return null; /* already finished by the server */
          if (!retryable(error) || attempt + 1 >= FLUSH_ATTEMPTS) throw error;
          return delay(POST_RETRY_MS[attempt]).then(function () { return flush(attempt + 1); });
        });
      });
    }

    function unsubscribe() {
      if (device) device.removeEventListener("gattserverdisconnected", onDisconnected);
      var done = Promise.resolve();
      if (characteristic) {
        characteristic.removeEventListener("characteristicvaluechanged", onNotification);
        if (device && device.gatt.connected) {
          done = withTimeout(
            characteristic.stopNotifications(), GATT_TIMEOUT_MS, "stop notifications"
          ).catch(function () {});
        }
      }
      return done.then(function () {
        if (device && device.gatt.connected) device.gatt.disconnect();
      });
    }

    /* From now on the beats belong to a session (its id) or to none (null): the beats queued
       so far go to the current recording, which is finished (the server keeps or discards it),
       and a new one is opened, linked to the session. */
    function link(id) {
      var next = id === undefined ? null : id;
      if (next === sessionId || stopping) return Promise.resolve(controller);
      sessionId = next;
      if (controller.recordingId === null) return Promise.resolve(controller);
      return flush(0)
        .then(function () {
          switching = true;
          return postJson(base() + "/finish", {}, opts).catch(function (error) {
            if (error.status === 404) return null; /* finished by the server already */
            throw error;
          });
        })
        .then(function () { return postJson("/api/live/browser", openBody(), opts); })
        .then(function (data) {
          controller.recordingId = data.recording_id;
          stored = 0;
          switching = false;
          return controller;
        }, function (error) {
          switching = false;
          status("error", messageOf(error));
          throw error;
        });
    }

    function stop() {
      if (stopPromise) return stopPromise;
      stopping = true;
      if (timer !== null) root.clearInterval(timer);
      stopPromise = unsubscribe()
        .then(function () { return controller.recordingId === null ? null : flush(0); })
        .then(function () {
          if (controller.recordingId === null) return null;
          return postJson(base() + "/finish", {}, opts).catch(function (error) {
            if (error.status === 404) return null; /* finished by the server already */
            throw error;
          });
        })
        .then(function (summary) {
          status("disconnected", endReason);
          return summary;
        }, function (error) {
          status("error", messageOf(error));
          throw error;
        });
      return stopPromise;
    }

    status("connecting", null);
    /* requestDevice must run while the click's user activation lasts: it comes first. */
    return navigator.bluetooth
      .requestDevice({
        filters: [{ services: ["heart_rate"] }],
        optionalServices: ["battery_service"],
      })
      .then(function (chosen) {
        device = chosen;
        name = (device.name || "").trim() || DEFAULT_NAME;
        controller.name = name;
        status("connecting", name);
        return withTimeout(device.gatt.connect(), CONNECT_TIMEOUT_MS, "connect");
      })
      .then(readBattery)
      .then(function () {
        return postJson("/api/live/browser", openBody(), opts);
      })
      .then(function (data) {
        controller.recordingId = data.recording_id;
        device.addEventListener("gattserverdisconnected", onDisconnected);
        return subscribe();
      })
      .then(function () {
        timer = root.setInterval(tick, POST_INTERVAL_MS);
        status("connected", name);
        return controller;
      })
      .catch(function (error) {
        /* NotFoundError: the chooser was closed, or no strap was found; not a failure. */
        var cancelled = error && error.name === "NotFoundError";
        status(cancelled ? "disconnected" : "error", messageOf(error));
        stopping = true;
        if (device) {
          device.removeEventListener("gattserverdisconnected", onDisconnected);
          if (device.gatt.connected) device.gatt.disconnect();
        }
        if (controller.recordingId !== null) {
          postJson(base() + "/finish", {}, opts).catch(function () {});
        }
        throw error;
      });
  }

  var api = {
    supported: supported,
    parseHeartRate: parseHeartRate,
    makeTimeline: makeTimeline,
    connect: connect,
    MIN_RR_MS: MIN_RR_MS,
    MAX_RR_MS: MAX_RR_MS,
  };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.VagusStrap = api;
  }
})(typeof globalThis !== "undefined" ? globalThis : this);
