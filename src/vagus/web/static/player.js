/*
 * The exercise player (progressive enhancement: without JavaScript the page still shows every
 * step as text). No framework, no CDN; the breathing guide uses pacer.js (VagusPacer), a port
 * of vagus.program.pacer. The phase comes from elapsed time (performance.now() minus the time
 * spent paused), never from counting frames, so a busy or hidden tab cannot make it drift.
 *
 * The server is the record and the judge: the session is opened with POST /api/sessions (which
 * refuses an exercise the screening or plan leaves out, with the reason, and answers with the
 * dose and the breathing pace to use), each step is POSTed the moment it ends (a crash loses at
 * most the running step), then /finish, whose answer says how the session ended (the server
 * decides completed or stopped), and the ratings. A warning sign reported during the session
 * (or at the stop-rule question after it) is POSTed to /symptoms: its advice is shown at once,
 * and when the server stopped the session the player stops too.
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
    /* The session is closed (finished, or stopped by the server with a reported warning
       sign): no more steps are posted for it. */
    closed: false,
    /* ... and it was a reported warning sign that stopped it (the summary says so). */
    stoppedBySymptom: false,
    /* The run was paused to report a symptom (resumed when the report is cancelled). */
    pausedForReport: false,
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
          var error = new Error(data && data.error ? data.error : "HTTP " + response.status);
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function showError(error) {
    var box = $("player-error");
    box.textContent = S.failed + " " + (error && error.message ? error.message : String(error));
    box.hidden = false;
  }

  /* A refusal by a rule (409: the screening or plan leaves the exercise out, or it waits for
     the clinician's clearance): its reason, in the page's language, alone. */
  function showRefusal(error) {
    var data = error.data || {};
    var box = $("player-error");
    box.textContent = data.reason || data.error || error.message;
    box.hidden = false;
  }

  /* --- advice for reported warning signs (role=alert: read out at once) ---------------------- */
  function showAdvice(safety) {
    var box = $("player-advice");
    var list = $("player-advice-list");
    if (!box || !list) return;
    list.textContent = "";
    (safety && safety.advice ? safety.advice : []).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    if (!box.hasAttribute("role")) box.setAttribute("role", "alert");
    if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "-1");
    box.hidden = false;
    box.focus();
  }

  function hideAdvice() {
    var box = $("player-advice");
    if (box) box.hidden = true;
  }

  /* The ids of the ticked checkboxes called `name` inside `form`. */
  function ticked(form, name) {
    var boxes = form.querySelectorAll('input[name="' + name + '"]:checked');
    return Array.prototype.map.call(boxes, function (box) { return box.value; });
  }

  function untick(form) {
    Array.prototype.forEach.call(form.querySelectorAll('input[type="checkbox"]'), function (box) {
      box.checked = false;
    });
  }

  function postSymptoms(ids) {
    return api("/api/sessions/" + state.session.id + "/symptoms", { symptoms: ids });
  }

  /* --- calm rating, 0-10, skippable --------------------------------------------------------- */
  function askRating(question, keepFocus) {
    return new Promise(function (resolve) {
      var form = $("player-rating");
      var range = $("player-calm");
      $("player-rating-q").textContent = question;
      form.hidden = false;
      // After advice the focus stays on it (it must be read first); Tab reaches the rating.
      if (!keepFocus) range.focus();
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
    if (state.closed) return;
    state.index = i;
    if (i >= state.session.steps.length) {
      askStopRule();
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
    if (state.ending || state.closed) return Promise.resolve();
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
      .catch(function (error) {
        if (!state.closed) showError(error); // after a stop by a warning sign: expected
      })
      .then(function () { state.ending = false; });
  }

  function next(outcome) {
    if (state.closed) return;
    endStep(outcome).then(function () { beginStep(state.index + 1); });
  }

  /* Called from animation frames and from a timer (for hidden tabs); safe to call any time. */
  function render() {
    if (!state.session || state.closed) return;
    if (state.index < 0 || state.index >= state.session.steps.length) return;
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
      if (state.pausedAt !== null) {
        // Paused: the guide says so, not the breath it stopped in (issue 12).
        if ($("player-phase").textContent !== S.paused) $("player-phase").textContent = S.paused;
        $("player-circle").setAttribute("data-phase", "paused");
        state.lastPhase = null;
      } else if (s.phase !== state.lastPhase) {
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
    if (state.session && !state.closed && state.index < state.session.steps.length) {
      window.requestAnimationFrame(frame);
    }
  }

  function pause() {
    if (state.pausedAt === null) pauseResume();
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

  /* The run is over on this page: the step logic, the timers and the run box stop. */
  function endRun() {
    window.clearInterval(state.timer);
    state.timer = null;
    state.index = state.session.steps.length; // stops the frame loop and the step logic
    $("player-run").hidden = true;
    var form = $("symptom-form");
    if (form) form.hidden = true;
    if ($("player-symptom")) $("player-symptom").hidden = true;
  }

  /* After the timed steps, before the after-rating: did any of this exercise's stop-rule signs
     come? "None of these" finishes as usual; a sign is reported (its advice shown) first. */
  function askStopRule() {
    endRun();
    var form = $("stoprule-form");
    if (!form) {
      finish("completed");
      return;
    }
    untick(form);
    form.hidden = false;
    var first = form.querySelector('input[name="stop-symptom"]');
    (first || $("stoprule-none")).focus();
    $("stoprule-none").onclick = function () {
      form.hidden = true;
      finish("completed");
    };
    form.onsubmit = function (event) {
      event.preventDefault();
      var ids = ticked(form, "stop-symptom");
      if (!ids.length) {
        // Nothing ticked is the same answer as "None of these".
        form.hidden = true;
        finish("completed");
        return;
      }
      $("stoprule-send").disabled = true;
      postSymptoms(ids)
        .then(function (answer) {
          form.hidden = true;
          showAdvice(answer.safety);
          if (answer.status && answer.status !== "running") {
            // The server closed the session with the report: that answer is its finish.
            state.closed = true;
            state.stoppedBySymptom = true;
            stopLive();
            if (strap) strap.link(null).catch(function () {});
            afterRating(answer.status, true);
          } else {
            finish("completed", true);
          }
        })
        .catch(showError)
        .then(function () { $("stoprule-send").disabled = false; });
    };
  }

  /* POST /finish; the server answers how the session ended. The live stream closes only after
     that answer (a stream that closes while the session still runs marks it interrupted). */
  function finish(status, keepFocus) {
    var sessionId = state.session.id;
    endRun();
    api("/api/sessions/" + sessionId + "/finish", { status: status })
      .then(
        function (answer) {
          stopLive();
          state.closed = true;
          // The session is over: a strap's beats go to a measurement of their own again.
          if (strap) strap.link(null).catch(function () {});
          if (answer.status === null) {
            resetToStart(); // removed: it had not begun
            return null;
          }
          return afterRating(answer.status, keepFocus);
        },
        function (error) {
          stopLive();
          throw error;
        }
      )
      .catch(showError);
  }

  function afterRating(status, keepFocus) {
    var sessionId = state.session.id;
    return askRating(S.after_q, keepFocus)
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

  function summaryMessage(status) {
    if (status === "completed") return S.done;
    if (state.stoppedBySymptom && S.stopped_symptom) return S.stopped_symptom;
    return S.stopped;
  }

  function showSummary(status, keepFocus) {
    var box = $("player-summary");
    box.setAttribute("data-status", status);
    $("player-summary-msg").textContent = summaryMessage(status);
    var list = $("player-summary-list");
    list.textContent = "";
    var rows = [
      [S.summary_steps, state.completed + " " + S.of + " " + state.session.steps.length],
      [S.summary_time, fmt(state.activeTotalS / 60, 1)],
      [S.summary_calm, (state.before === null ? "–" : state.before) + " → " +
        (state.after === null ? "–" : state.after)],
    ];
    var shares = lastLive && lastLive.coherence_shares;
    if (shares && shares.low !== null) {
      var pct = function (share) { return fmt(100 * share, 0) + " %"; };
      rows.push([S.summary_coherence, ["low", "medium", "high"].map(function (key) {
        return S["level_" + key] + " " + pct(shares[key]);
      }).join(", ")]);
    }
    rows.forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    box.hidden = false;
    if (!keepFocus) box.focus();
    if (state.session) showChange(state.session.id, list);
  }

  /* The session's rests before and after and what changed (issue 13): RMSSD and heart rate
     before and after and the change in percent, or in a plain line why it cannot be said (no
     rest measured, a rest too short, too many corrected beats); the server's words. Asked for
     once the session is finished (its recordings are closed by then). */
  function showChange(sessionId, list) {
    fetch("/api/sessions/" + sessionId + "/change?lang=" + encodeURIComponent(lang), {
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (change) {
        if (!change) return;
        if (!state.session || state.session.id !== sessionId) return;
        if ($("player-summary-change")) return; // shown once
        var dt = document.createElement("dt");
        dt.textContent = S.summary_change;
        var dd = document.createElement("dd");
        dd.id = "player-summary-change";
        // Neither rest measured (the web player records none): said as such, not as "one of
        // the rests".
        var neither = change.before === null && change.after === null;
        dd.textContent = neither ? S.change_no_rests : change.text;
        list.appendChild(dt);
        list.appendChild(dd);
      })
      .catch(function () {}); // the summary stands without it
  }

  /* The state of a session that has not begun yet (or of none). */
  function freshState(session) {
    state.session = session;
    lastLive = null; // the summary speaks of this session's stream only
    state.closed = false;
    state.stoppedBySymptom = false;
    state.index = -1;
    state.completed = 0;
    state.activeTotalS = 0;
    state.before = null;
    state.after = null;
  }

  /* Back to the page's start state (the session was cancelled before it began). */
  function resetToStart() {
    window.clearInterval(state.timer);
    stopLive();
    if (strap) strap.link(null).catch(function () {});
    freshState(null);
    state.cancelled = false;
    $("player-rating").hidden = true;
    $("player-rating-cancel").hidden = true;
    $("player-run").hidden = true;
    $("player-start").hidden = false;
    $("player-start").disabled = false;
    $("player-start").focus();
  }

  /* --- "report a symptom" while the session runs ---------------------------------------------- */
  function openSymptomForm() {
    var form = $("symptom-form");
    if (!form || !state.session || state.closed) return;
    if (state.pausedAt === null && state.index < state.session.steps.length &&
        currentStep().duration_s !== null) {
      // The guide waits while the person tells what happens.
      pause();
      state.pausedForReport = true;
    }
    untick(form);
    form.hidden = false;
    var first = form.querySelector('input[name="symptom"]');
    (first || $("symptom-send")).focus();
  }

  function closeSymptomForm() {
    var form = $("symptom-form");
    if (form) form.hidden = true;
    if (state.pausedForReport) {
      state.pausedForReport = false;
      if (state.pausedAt !== null) pauseResume();
    }
    $("player-symptom").focus();
  }

  function sendSymptoms(event) {
    event.preventDefault();
    var form = $("symptom-form");
    var ids = ticked(form, "symptom");
    if (!ids.length || !state.session || state.closed) {
      var first = form.querySelector('input[name="symptom"]');
      if (first) first.focus();
      return;
    }
    $("symptom-send").disabled = true;
    postSymptoms(ids)
      .then(function (answer) {
        var stop = (answer.safety && answer.safety.stop_session) ||
          (answer.status && answer.status !== "running");
        if (stop) {
          // The server stopped the session with the report: nothing more is posted for it.
          state.closed = true;
          state.stoppedBySymptom = true;
          state.pausedForReport = false;
          endRun();
          stopLive(); // after the server's answer: the session is closed already
          if (strap) strap.link(null).catch(function () {});
          showAdvice(answer.safety);
          showSummary(answer.status || "stopped", true);
        } else {
          closeSymptomForm();
          showAdvice(answer.safety);
        }
      })
      .catch(showError)
      .then(function () { $("symptom-send").disabled = false; });
  }

  function start() {
    $("player-start").disabled = true;
    $("player-error").hidden = true;
    $("player-summary").hidden = true;
    hideAdvice();
    // No parameters: the server runs today's plan dose at the person's pace, and answers with
    // both (session.params, session.pace; each step carries its own pacer pattern).
    api("/api/sessions", { exercise_id: root.getAttribute("data-exercise") })
      .then(
        function (session) {
          freshState(session);
          // A strap connected in this browser records this session from now on.
          if (strap) strap.link(session.id).catch(function () {});
          $("player-rating-cancel").hidden = false;
          return askRating(S.before_q).then(function (calm) {
            state.before = calm;
            if (calm !== null && !state.cancelled) {
              return api("/api/sessions/" + state.session.id + "/ratings", {
                moment: "before",
                calm: calm,
              }).then(run);
            }
            return run();
          });
        },
        function (error) {
          $("player-start").disabled = false;
          if (error.status === 409) {
            showRefusal(error);
            return;
          }
          throw error;
        }
      )
      .catch(function (error) {
        $("player-start").disabled = false;
        showError(error);
      });
  }

  function run() {
    $("player-rating-cancel").hidden = true;
    if (state.cancelled || !state.session) return;
    $("player-start").hidden = true;
    $("player-run").hidden = false;
    if ($("player-symptom")) $("player-symptom").hidden = false;
    $("player-run").scrollIntoView({ block: "start" });
    if ($("player-heart").checked) startLive();
    beginStep(0);
    state.timer = window.setInterval(render, TICK_MS);
    window.requestAnimationFrame(frame);
  }

  /* --- live heart data: server-sent events, drawn as an inline SVG line ---------------------- */
  var source = null;
  var points = [];

  /* A number in the page's language (3,74 in nb, 3.74 in en); "–" when unknown. */
  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    return value.toLocaleString(lang, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }

  /* A catalog text with its {placeholders} filled in. */
  function fill(text, fields) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(fields, key) ? String(fields[key]) : whole;
    });
  }

  /* The last live values shown (the summary shows their coherence shares). */
  var lastLive = null;

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
     connected in this browser (strap.js posts its beats and gets these back). The numbers are
     the analysis the recording is saved with, shown from d.min_s seconds of beats on
     ("measuring" and its progress before); the chart draws each beat's own rate. `last`: the
     stream's final values (its "end" event), not a beat of its own. */
  function showUpdate(d, last) {
    lastLive = d;
    var measuring = $("live-measuring");
    if (d.ready) {
      measuring.hidden = true;
      $("live-hr").textContent = fmt(d.mean_hr_bpm, 0);
      $("live-ln").textContent = fmt(d.ln_rmssd, 2);
    } else {
      measuring.hidden = false;
      $("live-measuring-text").textContent = fill(S.measuring, {
        s: fmt(Math.floor(Math.min(d.t_s, d.min_s)), 0),
        m: fmt(d.min_s, 0),
      });
      $("live-progress").value = d.progress;
      $("live-hr").textContent = "–";
      $("live-ln").textContent = "–";
    }
    var level = $("live-coh-level");
    if (d.ready && d.coherence !== null && d.coherence_level) {
      $("live-coh").textContent = fmt(d.coherence, 2);
      level.textContent = S["level_" + d.coherence_level] || d.coherence_level;
      level.setAttribute("data-level", d.coherence_level);
    } else {
      $("live-coh").textContent = fill(S.coherence_from, { s: fmt(d.coherence_from_s, 0) });
      level.textContent = "";
      level.removeAttribute("data-level");
    }
    $("live-coh-help").textContent = fill(S.coherence_help, {
      w: fmt(d.coherence_from_s, 0),
      e: fmt(d.coherence_every_s, 0),
      m: fmt(d.coherence_thresholds[0], 1),
      h: fmt(d.coherence_thresholds[1], 1),
    });
    if (!last && d.heart_rate_bpm !== null) {
      points.push(d.heart_rate_bpm);
      if (points.length > CHART_POINTS) points.shift();
      drawChart();
    }
  }

  /* The numbers sit above the breathing circle and the chart below the progress bar, so on a
     phone the heart rate and the circle share one screen. The chart is an SVG element, which
     has no `hidden` property (setting one did nothing: issue 12): the attribute is changed. */
  function showLive(on) {
    $("player-live").hidden = !on;
    if (on) {
      $("live-chart").removeAttribute("hidden");
    } else {
      $("live-chart").setAttribute("hidden", "");
    }
  }

  /* The POST that opens the session's recording, while it is out: {cancelled} (stopLive). */
  var opening = null;

  function startLive() {
    showLive(true);
    if (strap) return; // the browser's strap feeds the display
    if (source || opening || !window.EventSource) return;
    if (!running()) {
      listen("/api/live/stream"); // a preview: the numbers only, nothing stored
      return;
    }
    // A session's recording is opened by a POST with the CSRF token (a GET never records:
    // issue 11), then read from the stream id it answers, once. The server finishes the
    // recording when the stream closes, and marks the session interrupted if it still runs.
    var pending = { cancelled: false };
    opening = pending;
    api("/api/live/stream", { session_id: state.session.id })
      .then(function (opened) {
        if (opening === pending) opening = null;
        listen(opened.url);
        // Stopped while the POST was out: attached and closed at once, so the server finishes
        // the recording now instead of when the unattached stream times out.
        if (pending.cancelled) stopLive();
      })
      .catch(function () {
        if (opening === pending) opening = null;
        if (!pending.cancelled) $("live-hr").textContent = S.no_sensor;
      });
  }

  function listen(url) {
    source = new EventSource(url);
    source.addEventListener("beat", function (event) {
      if (strap) return; // a strap connected later feeds the display
      showUpdate(JSON.parse(event.data));
    });
    source.addEventListener("end", function (event) {
      // The stream ended on its own: its last values are those the recording was saved with.
      var data = event.data ? JSON.parse(event.data) : null;
      if (data && data.values && !strap) showUpdate(data.values, true);
      stopLive();
    });
    source.onerror = function () {
      // A recording's stream id is used once: after a drop EventSource's reconnect is refused
      // and it stays closed (the drop ended the recording on the server).
      if (source && source.readyState === EventSource.CLOSED) {
        $("live-hr").textContent = S.no_sensor;
      }
    };
  }

  function stopLive() {
    if (opening) {
      opening.cancelled = true;
      opening = null;
    }
    if (source) {
      source.close(); // the server notices and finishes its recording
      source = null;
    }
  }

  /* Is a session running on this page (its stream must stay open until /finish answers)? */
  function running() {
    return !!state.session && !state.closed;
  }

  /* --- a strap connected in this browser (Web Bluetooth, strap.js) --------------------------- */
  var strap = null;

  function strapStatus(key, detail) {
    var text = S["strap_" + key] || key;
    $("strap-status").textContent = detail ? text + " " + detail : text;
  }

  function connectStrap() {
    $("strap-connect").disabled = true;
    // The strap replaces the server's sensor on the display from now on. A running session's
    // stream stays open until its finish (closing it would mark the session interrupted).
    if (!running()) stopLive();
    window.VagusStrap.connect({
      csrf: csrf,
      lang: lang,
      sessionId: state.session && !state.closed ? state.session.id : null,
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
      .then(function (answer) {
        if (answer.status === null) {
          resetToStart(); // the server removed it: it had not begun
        } else {
          state.closed = true;
          showSummary(answer.status);
        }
      })
      .catch(showError);
  });
  ui.hidden = false;
  $("player-start").addEventListener("click", start);
  $("player-pause").addEventListener("click", pauseResume);
  $("player-skip").addEventListener("click", function () { next("skipped"); });
  $("player-continue").addEventListener("click", function () { next("completed"); });
  $("player-stop").addEventListener("click", function () {
    if (!running() || state.ending) return;
    endStep("aborted").then(function () {
      if (state.closed) return; // a warning sign stopped it meanwhile
      finish("stopped");
    });
  });
  if ($("player-symptom") && $("symptom-form")) {
    $("player-symptom").addEventListener("click", openSymptomForm);
    $("symptom-form").addEventListener("submit", sendSymptoms);
    $("symptom-cancel").addEventListener("click", closeSymptomForm);
    $("symptom-form").addEventListener("keydown", function (event) {
      if (event.key === "Escape") closeSymptomForm(); // back to the exercise, as Cancel
    });
  }
  $("player-heart").addEventListener("change", function (event) {
    if (event.target.checked && running()) startLive();
    if (!event.target.checked) {
      // A running session's stream stays open (it is the session's recording, and closing
      // it would mark the session interrupted); only the numbers are hidden.
      if (!running()) stopLive();
      showLive(false);
    }
  });
  window.addEventListener("pagehide", function () {
    stopLive();
    if (strap) strap.stop();
  });
})();
