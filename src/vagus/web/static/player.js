/*
 * The exercise player (progressive enhancement: without JavaScript the page still shows every
 * step as text). No framework, no CDN; the breathing guide uses pacer.js (VagusPacer), a port
 * of vagus.program.pacer. The phase comes from elapsed time (performance.now() minus the time
 * spent paused), never from counting frames, so a busy or hidden tab cannot make it drift.
 *
 * The server is the record: the session is opened with POST /api/sessions, each step is POSTed
 * the moment it ends (a crash loses at most the running step), then /finish and the ratings.
 * Every POST carries the page's CSRF token in the X-Vagus-CSRF header.
 */
(function () {
  "use strict";

  var root = document.getElementById("player");
  var ui = document.getElementById("player-ui");
  if (!root || !ui || !window.VagusPacer || !window.fetch) {
    return; // the text of the page stays; the noscript notice explains
  }
  var Pacer = window.VagusPacer;
  var S = JSON.parse(document.getElementById("player-strings").textContent);
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var lang = document.documentElement.getAttribute("lang") || "en";
  var $ = function (id) { return document.getElementById(id); };

  /* How often the step logic runs besides animation frames (ms): rAF stops in hidden tabs. */
  var TICK_MS = 250;
  /* Points kept in the live chart (about 2 minutes of beats at 60/min). */
  var CHART_POINTS = 120;

  /* Today's dose from the plan (e.g. {"minutes": 2}), set by the server on the page. */
  var planned = JSON.parse(root.getAttribute("data-params") || "{}");

  var state = {
    cancelled: false,
    session: null,
    index: -1,
    stepStartPerf: 0,
    stepStartWall: null,
    pausedMs: 0,
    pausedAt: null,
    lastPhase: null,
    pattern: null,
    completed: 0,
    activeTotalS: 0,
    before: null,
    after: null,
    timer: null,
    ending: false,
  };

  function api(path, body) {
    return fetch(path + "?lang=" + encodeURIComponent(lang), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Vagus-CSRF": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data && data.error ? data.error : "HTTP " + response.status);
        }
        return data;
      });
    });
  }

  function showError(error) {
    var box = $("player-error");
    box.textContent = S.error + " " + (error && error.message ? error.message : String(error));
    box.hidden = false;
  }

  /* --- calm rating, 0-10, skippable --------------------------------------------------------- */
  function askRating(question) {
    return new Promise(function (resolve) {
      var form = $("player-rating");
      var range = $("player-calm");
      $("player-rating-q").textContent = question;
      form.hidden = false;
      range.focus();
      range.oninput = function () { $("player-calm-out").textContent = range.value; };
      form.onsubmit = function (event) {
        event.preventDefault();
        form.hidden = true;
        resolve(parseInt(range.value, 10));
      };
      $("player-rating-skip").onclick = function () {
        form.hidden = true;
        resolve(null);
      };
    });
  }

  /* --- time ---------------------------------------------------------------------------------- */
  function activeMs() {
    var now = state.pausedAt !== null ? state.pausedAt : performance.now();
    return Math.max(0, now - state.stepStartPerf - state.pausedMs);
  }

  /* --- sound (off by default): a short, quiet sine at each turn of the breath --------------- */
  var audio = null;
  function beep(phase) {
    if (!$("player-sound").checked) return;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    audio = audio || new Ctx();
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = phase === "inhale" ? 440 : phase === "exhale" ? 330 : 392;
    var t = audio.currentTime;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.08, t + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.45);
  }

  /* --- steps --------------------------------------------------------------------------------- */
  function currentStep() {
    return state.session.steps[state.index];
  }

  function beginStep(i) {
    state.index = i;
    if (i >= state.session.steps.length) {
      finish("completed");
      return;
    }
    var step = currentStep();
    state.stepStartPerf = performance.now();
    state.stepStartWall = new Date();
    state.pausedMs = 0;
    state.pausedAt = null;
    state.lastPhase = null;
    state.pattern = step.pattern ? Pacer.makePattern(step.pattern) : null;
    $("player-stepno").textContent =
      S.step + " " + (i + 1) + " " + S.of + " " + state.session.steps.length;
    $("player-cue").textContent = step.text;
    $("player-breath").hidden = !state.pattern;
    $("player-phase").textContent = "";
    var timed = step.duration_s !== null;
    $("player-continue").hidden = timed;
    $("player-skip").hidden = !timed;
    $("player-pause").hidden = !timed;
    $("player-pause").textContent = S.pause;
    $("player-left").textContent = "";
    // Keyboard users land on the control that moves the session on: Continue for a step that
    // waits for them, Pause for a timed one (the button they just pressed may be hidden now).
    (timed ? $("player-pause") : $("player-continue")).focus();
    render();
  }

  function endStep(outcome) {
    if (state.ending) return Promise.resolve();
    state.ending = true;
    var step = currentStep();
    var activeS = activeMs() / 1000;
    var body = {
      step_id: step.id,
      kind: step.kind,
      started_at: state.stepStartWall.toISOString(),
      ended_at: new Date().toISOString(),
      active_s: Math.round(activeS * 1000) / 1000,
      outcome: outcome,
    };
    if (outcome === "completed") state.completed += 1;
    state.activeTotalS += activeS;
    return api("/api/sessions/" + state.session.id + "/steps", body)
      .catch(showError)
      .then(function () { state.ending = false; });
  }

  function next(outcome) {
    endStep(outcome).then(function () { beginStep(state.index + 1); });
  }

  /* Called from animation frames and from a timer (for hidden tabs); safe to call any time. */
  function render() {
    if (!state.session || state.index < 0 || state.index >= state.session.steps.length) return;
    var step = currentStep();
    var ms = activeMs();
    var elapsedS = ms / 1000;
    if (step.duration_s !== null) {
      var left = Math.max(0, step.duration_s - elapsedS);
      $("player-left").textContent = Math.ceil(left) + " " + S.seconds_left;
      $("player-progress").value = Math.min(1, elapsedS / step.duration_s);
      if (left <= 0 && state.pausedAt === null && !state.ending) {
        next("completed");
        return;
      }
    }
    if (state.pattern) {
      var s = Pacer.phaseAt(state.pattern, elapsedS);
      $("player-circle").style.setProperty("--lung", String(s.lung));
      if (s.phase !== state.lastPhase) {
        // The live region changes only at a turn of the breath (every few seconds).
        state.lastPhase = s.phase;
        $("player-phase").textContent = S[s.phase];
        $("player-circle").setAttribute("data-phase", s.phase);
        if (state.pausedAt === null) beep(s.phase);
      }
    }
  }

  function frame() {
    render();
    if (state.session && state.index < state.session.steps.length) {
      window.requestAnimationFrame(frame);
    }
  }

  function pauseResume() {
    if (state.pausedAt === null) {
      state.pausedAt = performance.now();
      $("player-pause").textContent = S.resume;
      $("player-phase").textContent = S.paused;
      state.lastPhase = null;
    } else {
      state.pausedMs += performance.now() - state.pausedAt;
      state.pausedAt = null;
      $("player-pause").textContent = S.pause;
    }
  }

  function finish(status) {
    var sessionId = state.session.id;
    window.clearInterval(state.timer);
    $("player-run").hidden = true;
    stopLive();
    api("/api/sessions/" + sessionId + "/finish", { status: status })
      .then(function () { return askRating(S.after_q); })
      .then(function (calm) {
        state.after = calm;
        if (calm !== null) {
          return api("/api/sessions/" + sessionId + "/ratings", { moment: "after", calm: calm });
        }
        return null;
      })
      .then(function () { showSummary(status); })
      .catch(showError);
  }

  function showSummary(status) {
    $("player-summary-msg").textContent = status === "completed" ? S.done : S.stopped;
    var list = $("player-summary-list");
    list.textContent = "";
    var rows = [
      [S.summary_steps, state.completed + " " + S.of + " " + state.session.steps.length],
      [S.summary_time, (state.activeTotalS / 60).toFixed(1)],
      [S.summary_calm, (state.before === null ? "–" : state.before) + " → " +
        (state.after === null ? "–" : state.after)],
    ];
    rows.forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    var box = $("player-summary");
    box.hidden = false;
    box.focus();
  }

  function start() {
    $("player-start").disabled = true;
    $("player-error").hidden = true;
    api("/api/sessions", { exercise_id: root.getAttribute("data-exercise"), params: planned })
      .then(function (session) {
        state.session = session;
        $("player-rating-cancel").hidden = false;
        return askRating(S.before_q);
      })
      .then(function (calm) {
        state.before = calm;
        if (calm !== null) {
          return api("/api/sessions/" + state.session.id + "/ratings", {
            moment: "before",
            calm: calm,
          });
        }
        return null;
      })
      .then(function () {
        $("player-rating-cancel").hidden = true;
        if (state.cancelled) return;
        $("player-start").hidden = true;
        $("player-run").hidden = false;
        $("player-run").scrollIntoView({ block: "start" });
        if ($("player-heart").checked) startLive();
        beginStep(0);
        state.timer = window.setInterval(render, TICK_MS);
        window.requestAnimationFrame(frame);
      })
      .catch(function (error) {
        $("player-start").disabled = false;
        showError(error);
      });
  }

  /* --- live heart data: server-sent events, drawn as an inline SVG line ---------------------- */
  var source = null;
  var points = [];

  function fmt(value, digits) {
    return value === null || value === undefined ? "–" : value.toFixed(digits);
  }

  function drawChart() {
    var svg = $("live-chart");
    var rates = points.filter(function (p) { return p !== null; });
    svg.textContent = "";
    if (rates.length < 2) return;
    var lo = Math.min.apply(null, rates) - 2;
    var hi = Math.max.apply(null, rates) + 2;
    var coords = [];
    points.forEach(function (hr, i) {
      if (hr === null) return;
      var x = (i / (CHART_POINTS - 1)) * 300;
      var y = 78 - ((hr - lo) / (hi - lo)) * 76;
      coords.push(x.toFixed(1) + "," + y.toFixed(1));
    });
    var line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", coords.join(" "));
    line.setAttribute("class", "live-line");
    svg.appendChild(line);
  }

  /* One beat's live values: the same shape from the server's sensor (SSE) and from a strap
     connected in this browser (strap.js posts its beats and gets these back). */
  function showUpdate(d) {
    $("live-hr").textContent = fmt(d.heart_rate_bpm, 0);
    $("live-ln").textContent = fmt(d.ln_rmssd, 2);
    $("live-coh").textContent = fmt(d.coherence, 2);
    points.push(d.heart_rate_bpm);
    if (points.length > CHART_POINTS) points.shift();
    drawChart();
  }

  /* The numbers sit above the breathing circle and the chart below the progress bar, so on a
     phone the heart rate and the circle share one screen. */
  function showLive(on) {
    $("player-live").hidden = !on;
    $("live-chart").hidden = !on;
  }

  function startLive() {
    showLive(true);
    if (strap) return; // the browser's strap feeds the display
    if (source || !window.EventSource) return;
    source = new EventSource("/api/live/stream");
    source.addEventListener("beat", function (event) {
      showUpdate(JSON.parse(event.data));
    });
    source.addEventListener("end", stopLive);
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) {
        $("live-hr").textContent = S.no_sensor;
      }
    };
  }

  function stopLive() {
    if (source) {
      source.close(); // the server notices and finishes its "web" recording
      source = null;
    }
  }

  /* --- a strap connected in this browser (Web Bluetooth, strap.js) --------------------------- */
  var strap = null;

  function strapStatus(key, detail) {
    var text = S["strap_" + key] || key;
    $("strap-status").textContent = detail ? text + " " + detail : text;
  }

  function connectStrap() {
    $("strap-connect").disabled = true;
    stopLive(); // the strap replaces the server's sensor from now on
    window.VagusStrap.connect({
      csrf: csrf,
      lang: lang,
      onUpdate: function (d) {
        if ($("player-heart").checked || state.session) showUpdate(d);
      },
      onStatus: strapStatus,
    }).then(function (controller) {
      strap = controller;
      $("player-heart").checked = true;
      showLive(true);
    }).catch(function (error) {
      $("strap-connect").disabled = false;
      strapStatus("error", error && error.message ? error.message : String(error));
    });
  }

  /* --- wiring --------------------------------------------------------------------------------- */
  if (window.VagusStrap && window.VagusStrap.supported()) {
    $("player-strap").hidden = false;
    $("strap-connect").addEventListener("click", connectStrap);
  }
  $("player-rating-cancel").addEventListener("click", function () {
    if (!state.session) return;
    state.cancelled = true;
    $("player-rating").hidden = true;
    $("player-rating-cancel").hidden = true;
    api("/api/sessions/" + state.session.id + "/finish", { status: "aborted" })
      .then(function () {
        state.session = null;
        state.cancelled = false;
        $("player-start").disabled = false;
        $("player-start").focus();
      })
      .catch(showError);
  });
  ui.hidden = false;
  $("player-start").addEventListener("click", start);
  $("player-pause").addEventListener("click", pauseResume);
  $("player-skip").addEventListener("click", function () { next("skipped"); });
  $("player-continue").addEventListener("click", function () { next("completed"); });
  $("player-stop").addEventListener("click", function () {
    if (!state.session || state.ending) return;
    endStep("aborted").then(function () {
      state.index = state.session.steps.length; // stops the frame loop and the step logic
      finish("stopped");
    });
  });
  $("player-heart").addEventListener("change", function (event) {
    if (event.target.checked && state.session) startLive();
    if (!event.target.checked) {
      stopLive();
      showLive(false);
    }
  });
  window.addEventListener("pagehide", function () {
    stopLive();
    if (strap) strap.stop();
  });
})();
