// The dashboard page: HTML, CSS and the plotting script, all inside the binary.

/// The whole dashboard in one string, so the binary serves it offline: no CDN, no font, no file beside it.
/// The script fetches `/api/v1/status`, `/api/v1/history`, the open SLA violations, the capacity forecast and
/// the billing outbox, draws SVG plots with axes, units, legends and the alert threshold, and refreshes itself.
/// When the hub asks for a key (401) it shows a form once; the key stays in this tab's session storage and is
/// sent as `X-API-Key`, never in a URL.
enum DashboardPage {
    static let html = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Pool Hub dashboard</title>
        <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http%3A//www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%232f6fdf'/%3E%3C/svg%3E">
        <style>
        :root { --fg:#1d2430; --muted:#5b6575; --line:#d8dde5; --bg:#f6f7f9; --card:#fff; --a:#2f6fdf; --b:#d9822b; --c:#2e9b5f; --d:#b8396b; --warn:#c0392b; }
        * { box-sizing: border-box; }
        body { margin:0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
        header { display:flex; align-items:baseline; gap:16px; padding:12px 20px; background:#1d2430; color:#fff; }
        header h1 { font-size:18px; margin:0; }
        header .meta { color:#c5ccd8; font-size:12px; }
        header select { margin-left:auto; }
        main { padding:16px 20px; display:grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap:16px; }
        section { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px 14px; }
        section h2 { font-size:14px; margin:0 0 8px; }
        .tiles { display:grid; grid-template-columns: repeat(3, 1fr); gap:8px; }
        .tile { border:1px solid var(--line); border-radius:4px; padding:6px 8px; }
        .tile b { display:block; font-size:22px; }
        .tile span { color:var(--muted); font-size:12px; }
        table { border-collapse:collapse; width:100%; font-size:13px; }
        th, td { text-align:left; padding:3px 6px; border-bottom:1px solid var(--line); }
        td.n, th.n { text-align:right; font-variant-numeric: tabular-nums; }
        svg { width:100%; height:auto; display:block; }
        section { overflow-x:auto; }
        #violations td { white-space:nowrap; }
        svg text { font-size:10px; fill:var(--muted); }
        .legend { font-size:12px; color:var(--muted); margin-top:4px; }
        .legend i { display:inline-block; width:10px; height:3px; margin:0 4px 3px 10px; vertical-align:middle; }
        .empty { color:var(--muted); font-style:italic; }
        #errors { color:var(--warn); padding:0 20px; }
        #keyform { position:fixed; inset:0; background:rgba(29,36,48,.6); display:none; align-items:center; justify-content:center; }
        #keyform form { background:#fff; padding:20px; border-radius:6px; width:360px; }
        #keyform input { width:100%; padding:6px; margin:8px 0; }
        .bar { height:10px; background:var(--line); border-radius:3px; overflow:hidden; }
        .bar div { height:100%; background:var(--a); }
        </style>
        </head>
        <body data-ready="0">
        <header><h1>Pool Hub</h1><span class="meta" id="meta">loading…</span>
          <select id="range" aria-label="time range">
            <option value="60">last hour</option><option value="180" selected>last 3 hours</option>
            <option value="720">last 12 hours</option><option value="1440">last 24 hours</option>
          </select></header>
        <div id="errors"></div>
        <main>
          <section id="fleet"><h2>Fleet</h2>
            <div class="tiles">
              <div class="tile"><b id="miners-online">–</b><span>online of <b id="miners-total" style="display:inline;font-size:12px">–</b> miners</span></div>
              <div class="tile"><b id="miners-available">–</b><span>available</span></div>
              <div class="tile"><b id="matches-served">–</b><span>matches served</span></div>
              <div class="tile"><b id="slots-used">–</b><span>busy slots of <b id="slots-total" style="display:inline;font-size:12px">–</b></span></div>
              <div class="tile"><b id="slots-free">–</b><span>free slots</span></div>
              <div class="tile"><b id="reservations">–</b><span>reservations</span></div>
            </div>
            <h2 style="margin-top:12px">Per model</h2>
            <table id="models"><thead><tr><th>model</th><th class="n">online / miners</th><th class="n">busy / slots</th><th style="width:30%">busy</th></tr></thead><tbody></tbody></table>
          </section>
          <section><h2>Miners online</h2><div class="plot" id="plot-fleet"></div></section>
          <section><h2>Matches and heartbeats per second</h2><div class="plot" id="plot-rates"></div></section>
          <section><h2>Match latency p50 / p99</h2><div class="plot" id="plot-latency"></div></section>
          <section><h2>Capacity utilisation</h2><div class="plot" id="plot-capacity"></div><div class="legend" id="forecast-note"></div></section>
          <section><h2>Open SLA violations</h2><table id="violations"><thead><tr><th>miner</th><th>type</th><th>severity</th><th class="n">value</th><th class="n">threshold</th><th>since</th></tr></thead><tbody></tbody></table></section>
          <section><h2>Billing outbox</h2><table id="outbox"><tbody></tbody></table></section>
        </main>
        <div id="keyform"><form id="key-form"><b>This hub needs an API key</b>
          <p style="color:#5b6575;font-size:12px">It is kept in this tab only (session storage) and sent as X-API-Key.</p>
          <input id="key-input" type="password" autocomplete="off" placeholder="API key" aria-label="API key">
          <button type="submit">Show the dashboard</button></form></div>
        <script>
        "use strict";
        const KEY = "poolhub.apiKey";
        const REFRESH_MS = 10000;
        const errors = [];
        function reportError(text) {
          errors.push(text);
          document.body.dataset.errors = String(errors.length);
          const el = document.getElementById("errors");
          el.textContent = errors.slice(-3).join(" · ");
        }
        window.addEventListener("error", e => reportError("script error: " + e.message));
        window.addEventListener("unhandledrejection", e => reportError("script error: " + (e.reason && e.reason.message || e.reason)));

        class NeedKey extends Error {}
        async function get(path) {
          const headers = { "Accept": "application/json" };
          const key = sessionStorage.getItem(KEY);
          if (key) headers["X-API-Key"] = key;
          const response = await fetch(path, { headers, cache: "no-store" });
          if (response.status === 401 || response.status === 403) throw new NeedKey(path);
          if (!response.ok) throw new Error(path + " answered HTTP " + response.status);
          return response.json();
        }

        function askForKey() {
          const box = document.getElementById("keyform");
          box.style.display = "flex";
          document.body.dataset.needsKey = "1";
          document.getElementById("key-input").focus();
        }
        document.getElementById("key-form").addEventListener("submit", e => {
          e.preventDefault();
          const key = document.getElementById("key-input").value.trim();
          if (!key) return;
          sessionStorage.setItem(KEY, key);
          document.getElementById("keyform").style.display = "none";
          document.body.dataset.needsKey = "0";
          refresh();
        });

        const text = (id, value) => { document.getElementById(id).textContent = value; };
        const fmt = (v, digits) => v == null ? "–" : (Math.abs(v) >= 100 || digits === 0 ? Math.round(v).toLocaleString("en") : Number(v.toFixed(digits ?? 2)).toString());
        function esc(s) { return String(s ?? "–").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"})[c]); }

        // A line plot: `lines` are {name, color, values}; `band` is {lower, upper, color}; `threshold` a y value.
        function plot(id, times, lines, opts) {
          const W = 560, H = 210, L = 52, R = 12, T = 20, B = 28;
          const el = document.getElementById(id);
          const points = lines.reduce((n, l) => n + l.values.filter(v => v != null).length, 0);
          el.dataset.points = String(points);
          if (times.length === 0 || points === 0) { el.innerHTML = '<p class="empty">no samples yet</p>'; return; }
          const t0 = times[0], t1 = Math.max(times[times.length - 1], t0 + 1);
          let ys = lines.flatMap(l => l.values).filter(v => v != null);
          if (opts.band) ys = ys.concat(opts.band.upper.filter(v => v != null));
          if (opts.threshold != null) ys.push(opts.threshold);
          let y0 = Math.min(0, ...ys);
          const top = Math.max(...ys, opts.min1 ?? 0);
          // Round steps (1, 2 or 5 × 10^n), so the axis reads 0, 5, 10 rather than 0, 2.6, 5.2.
          const rough = (top - y0 || 1) / 4, power = Math.pow(10, Math.floor(Math.log10(rough)));
          const step = [1, 2, 5, 10].map(m => m * power).find(v => v >= rough);
          const y1 = y0 + step * Math.max(1, Math.ceil((top - y0) / step));
          const x = t => L + (t - t0) / (t1 - t0) * (W - L - R);
          const y = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
          let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.label)}">`;
          for (let v = y0; v <= y1 + step / 2; v += step) {
            svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eef0f3"/>`;
            svg += `<text x="${L - 4}" y="${y(v) + 3}" text-anchor="end">${fmt(v, step < 1 ? 3 : 0)}</text>`;
          }
          const seconds = t1 - t0 < 10 * 60 * 1000;
          for (let i = 0; i <= 4; i++) {
            const t = t0 + (t1 - t0) * i / 4;
            const d = new Date(t), two = n => String(n).padStart(2, "0");
            const label = `${two(d.getHours())}:${two(d.getMinutes())}` + (seconds ? `:${two(d.getSeconds())}` : "");
            svg += `<text x="${x(t)}" y="${H - 12}" text-anchor="middle">${label}</text>`;
          }
          svg += `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#9aa3b2"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#9aa3b2"/>`;
          svg += `<text x="${L - 4}" y="${T - 8}" text-anchor="end">${esc(opts.unit)}</text>`;
          if (opts.band) {
            const b = opts.band, up = [], down = [];
            b.times.forEach((t, i) => { if (b.upper[i] != null) { up.push(`${x(t)},${y(b.upper[i])}`); down.unshift(`${x(t)},${y(b.lower[i])}`); } });
            if (up.length) svg += `<polygon class="band" points="${up.concat(down).join(" ")}" fill="${b.color}" fill-opacity="0.18" stroke="none"/>`;
          }
          if (opts.threshold != null) {
            svg += `<line class="threshold" x1="${L}" x2="${W - R}" y1="${y(opts.threshold)}" y2="${y(opts.threshold)}" stroke="var(--warn)" stroke-dasharray="5 4"/>`;
            svg += `<text x="${W - R}" y="${y(opts.threshold) - 3}" text-anchor="end" style="fill:var(--warn)">alert ${fmt(opts.threshold, 0)}${esc(opts.unit === "%" ? "%" : "")}</text>`;
          }
          for (const l of lines) {
            const ts = l.times || times;
            let d = "", pen = false, dots = "";
            l.values.forEach((v, i) => {
              if (v == null) { pen = false; return; }
              d += `${pen ? "L" : "M"}${x(ts[i]).toFixed(1)},${y(v).toFixed(1)}`; pen = true;
              if (l.values.length <= 120) dots += `<circle class="point" cx="${x(ts[i]).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.8" fill="${l.color}"/>`;
            });
            svg += `<path class="series" data-name="${esc(l.name)}" d="${d}" fill="none" stroke="${l.color}" stroke-width="1.6" ${l.dash ? 'stroke-dasharray="4 3"' : ""}/>` + dots;
          }
          svg += "</svg>";
          const legend = lines.map(l => `<i style="background:${l.color}"></i>${esc(l.name)}`).join("") +
            (opts.threshold != null ? `<i style="background:var(--warn)"></i>alert threshold` : "") +
            (opts.band ? `<i style="background:${opts.band.color};opacity:.4"></i>forecast 95 % band` : "");
          el.innerHTML = svg + `<div class="legend">${legend}</div>`;
        }

        function render(status, history, violations, forecast, usage) {
          const m = status.miners, c = status.capacity;
          text("miners-online", m.online); text("miners-total", m.total); text("miners-available", m.available);
          text("matches-served", status.matches_served); text("slots-used", c.used_slots); text("slots-total", c.total_slots);
          text("slots-free", c.total_slots - c.used_slots); text("reservations", c.active_reservations);
          text("meta", `v${status.version} · ${status.storage.database} + ${status.storage.hot_state} · ${status.storage.scheduler} · updated ${new Date().toLocaleTimeString("en-GB")}`);

          document.querySelector("#models tbody").innerHTML = history.models.map(r => {
            const pct = r.slots_total ? Math.round(100 * r.slots_used / r.slots_total) : 0;
            return `<tr><td>${esc(r.model)}</td><td class="n">${r.online} / ${r.miners}</td><td class="n">${r.slots_used} / ${r.slots_total}</td><td><div class="bar"><div style="width:${pct}%"></div></div></td></tr>`;
          }).join("") || `<tr><td colspan="4" class="empty">no miners registered</td></tr>`;

          const times = history.timestamps.map(t => Date.parse(t));
          const s = history.series;
          plot("plot-fleet", times, [
            { name: "online", color: "var(--a)", values: s.miners_online },
            { name: "registered", color: "var(--muted)", values: s.miners_total, dash: true },
            { name: "available", color: "var(--c)", values: s.miners_available }], { unit: "miners", digits: 0, min1: 1, label: "miners online" });
          plot("plot-rates", times, [
            { name: "matches/s", color: "var(--a)", values: s.matches_per_s },
            { name: "heartbeats/s", color: "var(--b)", values: s.heartbeats_per_s }], { unit: "per s", digits: 1, min1: 1, label: "rates" });
          const ms = v => v == null ? null : v * 1000;
          plot("plot-latency", times, [
            { name: "p50", color: "var(--c)", values: s.match_p50_seconds.map(ms) },
            { name: "p99", color: "var(--d)", values: s.match_p99_seconds.map(ms) }], { unit: "ms", digits: 3, label: "match latency" });

          const band = forecast.points && forecast.points.length ? {
            times: forecast.points.map(p => Date.parse(p.timestamp)), lower: forecast.points.map(p => p.lower),
            upper: forecast.points.map(p => p.upper), color: "var(--b)" } : null;
          const lines = [{ name: "utilisation", color: "var(--a)", values: s.utilization_pct }];
          let all = times;
          if (band) {
            lines.push({ name: "forecast", color: "var(--b)", values: forecast.points.map(p => p.utilization_pct), times: band.times, dash: true });
            all = times.concat(band.times);
          }
          plot("plot-capacity", all.length ? [Math.min(...all), Math.max(...all)] : [], lines.map(l => ({ ...l, times: l.times || times })),
            { unit: "%", digits: 0, threshold: history.capacity_alert_threshold_pct, band, min1: 100, label: "capacity utilisation" });
          document.getElementById("forecast-note").textContent = band
            ? `forecast (${forecast.method}) over ${forecast.horizon_hours} h, peak ${fmt(forecast.peak_utilization_pct, 1)} %` + (forecast.threshold_crossing_at ? `, crosses the threshold at ${forecast.threshold_crossing_at}` : "")
            : `no forecast yet (${forecast.method || "no data"}: it needs 48 hours of capacity snapshots)`;

          document.querySelector("#violations tbody").innerHTML = violations.map(v =>
            `<tr><td>${esc(v.miner_id ?? "fleet")}</td><td>${esc(v.violation_type)}</td><td>${esc(v.severity)}</td><td class="n">${fmt(v.value, 1)}</td><td class="n">${fmt(v.threshold, 1)}</td><td>${esc(String(v.started_at).replace("T", " ").slice(0, 16))}</td></tr>`
          ).join("") || `<tr><td colspan="6" class="empty">none open</td></tr>`;
          text("violation-count-hidden", violations.length);

          const outbox = usage.outbox || {};
          document.querySelector("#outbox tbody").innerHTML =
            ["pending", "acknowledged", "rejected"].map(k => `<tr><th>${k}</th><td class="n" id="outbox-${k}">${outbox[k] ?? 0}</td></tr>`).join("") +
            `<tr><th>sync</th><td class="n">${esc(status.billing.sync)}${status.billing.last_sync_at ? ", last " + esc(status.billing.last_sync_at) : ""}</td></tr>` +
            `<tr><th>total amount</th><td class="n">${esc(usage.total_amount)} ${esc(usage.currency)}</td></tr>`;
        }

        let timer = null;
        async function refresh() {
          clearTimeout(timer);
          const minutes = document.getElementById("range").value;
          try {
            const [status, history, violations, forecast, usage] = await Promise.all([
              get("/api/v1/status"), get("/api/v1/history?minutes=" + minutes), get("/sla/violations?resolved=false"),
              get("/sla/capacity/forecast?hours=24"), get("/sla/billing/usage")]);
            render(status, history, violations, forecast, usage);
            document.body.dataset.ready = "1";
            document.body.dataset.refreshedAt = new Date().toISOString();
          } catch (e) {
            if (e instanceof NeedKey) { sessionStorage.removeItem(KEY); askForKey(); return; }
            reportError(String(e.message || e));
          }
          timer = setTimeout(refresh, REFRESH_MS);
        }
        document.getElementById("range").addEventListener("change", refresh);
        refresh();
        </script>
        <span id="violation-count-hidden" hidden></span>
        </body>
        </html>
        """#
}
