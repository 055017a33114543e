/// `/dashboard`: one self-contained page (no CDN, no fonts, works offline) that polls `/stats`
/// every two seconds and shows the hit ratio per table over time, the fresh/stale/negative split,
/// upstream calls and cost saved, write batching, retries and throttles, stream lag and hot keys.
/// Numbers are written into elements with `data-stat` attributes, which the headless-browser
/// test reads back and compares with `/stats`.
enum DashboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>DynaCache</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330;background:#f6f7f9}
        h1{font-size:1.3rem;margin:0 0 .2rem} h2{font-size:1rem;margin:1.4rem 0 .4rem}
        .muted{color:#6b7280} .cards{display:flex;gap:.8rem;flex-wrap:wrap}
        .card{background:#fff;border:1px solid #e2e5ea;border-radius:6px;padding:.6rem .9rem;min-width:9rem}
        .card b{display:block;font-size:1.4rem} table{border-collapse:collapse;background:#fff;width:100%}
        th,td{border:1px solid #e2e5ea;padding:.25rem .5rem;text-align:right} th:first-child,td:first-child{text-align:left}
        canvas{background:#fff;border:1px solid #e2e5ea;border-radius:6px}
        </style></head><body>
        <h1>DynaCache</h1><div class="muted" id="status">loading /stats…</div>
        <div class="cards">
          <div class="card">hit ratio<b data-stat="totals.hitRatio">–</b></div>
          <div class="card">hits<b data-stat="totals.hits">–</b></div>
          <div class="card">misses<b data-stat="totals.misses">–</b></div>
          <div class="card">upstream calls<b data-stat="totals.upstreamCalls">–</b></div>
          <div class="card">saved ($)<b data-stat="cost.dollarsSaved">–</b></div>
          <div class="card">client writes<b data-stat="writes.clientWrites">–</b></div>
          <div class="card">upstream writes<b data-stat="writes.upstreamWriteRequests">–</b></div>
          <div class="card">stream records<b data-stat="stream.recordsProcessed">–</b></div>
        </div>
        <h2>Hit ratio per table over time</h2><canvas id="chart" width="900" height="180"></canvas>
        <h2>Tables</h2><table id="tables"><thead><tr><th>table / operation</th><th>fresh</th><th>stale</th>
        <th>negative</th><th>misses</th><th>bypass</th><th>hit ratio</th><th>upstream</th><th>RRU saved</th></tr></thead><tbody></tbody></table>
        <h2>Hot keys</h2><table id="hot"><thead><tr><th>table / key</th><th>requests</th><th>hit ratio</th></tr></thead><tbody></tbody></table>
        <h2>Writes, retries, stream</h2><table id="more"><tbody></tbody></table>
        <script>
        "use strict";
        const token = new URLSearchParams(location.search).get("token");
        const history = {}; const colors = ["#2563eb","#dc2626","#16a34a","#9333ea","#ea580c","#0891b2"];
        function get(o, path) { return path.split(".").reduce((v, k) => v == null ? v : v[k], o); }
        function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
        function row(body, values, attrs) {
          const tr = document.createElement("tr");
          values.forEach((v, i) => { const td = cell(v); if (attrs && attrs[i]) td.setAttribute("data-stat", attrs[i]); tr.appendChild(td); });
          body.appendChild(tr);
        }
        function draw() {
          const c = document.getElementById("chart"), g = c.getContext("2d");
          g.clearRect(0, 0, c.width, c.height); g.strokeStyle = "#e2e5ea";
          for (let y = 0; y <= 4; y++) { g.beginPath(); g.moveTo(0, 10 + y * 40); g.lineTo(c.width, 10 + y * 40); g.stroke(); }
          Object.keys(history).sort().forEach((t, i) => {
            const pts = history[t]; g.strokeStyle = colors[i % colors.length]; g.beginPath();
            pts.forEach((v, j) => { const x = c.width - (pts.length - 1 - j) * 10, y = 170 - v * 160; j ? g.lineTo(x, y) : g.moveTo(x, y); });
            g.stroke(); g.fillStyle = g.strokeStyle; g.fillText(t, 8, 20 + i * 14);
          });
        }
        function render(s) {
          document.querySelectorAll(".card b[data-stat]").forEach(b => {
            const v = get(s, b.getAttribute("data-stat")); b.textContent = v == null ? "–" : String(v);
          });
          const tables = document.querySelector("#tables tbody"); tables.textContent = "";
          Object.keys(s.tables || {}).sort().forEach(t => {
            let served = 0, lookups = 0;
            Object.keys(s.tables[t]).sort().forEach(op => {
              const c = s.tables[t][op], p = "tables." + t + "." + op + ".";
              row(tables, [t + " / " + op, c.freshHits, c.staleHits, c.negativeHits, c.misses, c.bypass, c.hitRatio, c.upstreamCalls, c.readUnitsSaved],
                  [null, p + "freshHits", p + "staleHits", p + "negativeHits", p + "misses", p + "bypass", p + "hitRatio", p + "upstreamCalls", p + "readUnitsSaved"]);
              served += c.hits; lookups += c.hits + c.misses;
            });
            (history[t] = history[t] || []).push(lookups ? served / lookups : 0);
            if (history[t].length > 90) history[t].shift();
          });
          const hot = document.querySelector("#hot tbody"); hot.textContent = "";
          Object.keys(s.hotKeys || {}).sort().forEach(t => s.hotKeys[t].forEach(k => row(hot, [t + " / " + k.key, k.requests, k.hitRatio])));
          const more = document.querySelector("#more tbody"); more.textContent = "";
          const w = s.writes || {}, r = s.retries || {};
          row(more, ["writes: batches / coalesced / fallbacks", [w.batches, w.coalesced, w.fallbacks].join(" / ")]);
          row(more, ["retries by reason", JSON.stringify(r.retriesByReason || {})]);
          row(more, ["throttles by resource", JSON.stringify(r.throttlesByResource || {})]);
          Object.keys(get(s, "stream.tables") || {}).sort().forEach(t => {
            const st = s.stream.tables[t];
            row(more, ["stream " + t + " (" + st.state + ")", "records " + st.recordsProcessed + ", age " + (st.lastRecordAgeSeconds ?? "–") + " s, drops " + st.drops]);
          });
          draw();
          document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString() + " · redis " + (get(s, "redis.connected") ? "up" : "DOWN");
        }
        async function poll() {
          try {
            const r = await fetch("/stats", { headers: token ? { Authorization: "Bearer " + token } : {} });
            render(await r.json());
          } catch (e) { document.getElementById("status").textContent = "cannot read /stats: " + e; }
        }
        poll(); setInterval(poll, 2000);
        </script></body></html>
        """#
}
