/* The partner cabinet as a Telegram Mini App. No framework, no CDN: the chart library (uPlot,
   MIT, vendored) comes from this server too. Every figure arrives formatted by the server
   (i18n.format); this page only lays them out. */
(function () {
  "use strict";
  const M = window.MiniApp;
  const { $, el, row, state, api, fill } = M;
  let T = {}, me = null, trackerId = null, months = 12, chart = null;

  function renderBalance(b) {
    for (const k of ["available", "accrued", "reserved", "paid"]) fill("balance." + k, b[k + "_text"]);
  }

  function copyButton(url) {
    const b = el("button", T["webapp-copy"], { type: "button", class: "ghost" });
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(url); } catch (e) { window.prompt("", url); return; }
      b.textContent = T["webapp-copied"];
    });
    return b;
  }

  function shareButton(url) {
    const b = el("button", T["webapp-share"], { type: "button" });
    const share = "https://t.me/share/url?url=" + encodeURIComponent(url);
    b.addEventListener("click", () => (M.tg && M.tg.openTelegramLink ? M.tg.openTelegramLink(share) : window.open(share, "_blank")));
    return b;
  }

  // The link's QR code (the chat cabinet's image), fetched with the session when first asked for.
  function qrButton(link, card) {
    const b = el("button", T["webapp-qr"], { type: "button", class: "ghost", "data-qr": link.id });
    b.addEventListener("click", async () => {
      let img = card.querySelector("img.qr");
      if (img) { img.hidden = !img.hidden; return; }
      img = el("img", null, { class: "qr", alt: T["webapp-qr-alt"] + " " + link.url, width: "200", height: "200" });
      card.appendChild(img);
      img.src = await M.image("/api/v1/trackers/" + trackerId + "/links/" + link.id + "/qr");
    });
    return b;
  }

  function figure(labelKey, value, key) {
    const cell = el("div", null, { class: "figure", "data-f": key });
    cell.append(el("span", T[labelKey]), el("b", String(value)));
    return cell;
  }

  async function renderLinks() {
    const box = $("#links");
    box.replaceChildren();
    const { items } = await api("/api/v1/trackers/" + trackerId + "/links", { limit: 200 });
    $("#no-links").hidden = items.length > 0;
    for (const l of items) {
      const card = el("article", null, { class: "link", "data-link": l.id });
      const head = el("div", null, { class: "link-head" });
      head.append(el("b", l.label || "—", { class: "label" }), el("small", l.url, { class: "muted url" }));
      const funnel = el("div", null, { class: "funnel" });
      funnel.append(figure("webapp-clicks", l.clicks, "clicks"), figure("webapp-starts", l.starts, "starts"),
                    figure("webapp-paying", l.paying, "paying"), figure("webapp-conversion", l.conversion_text, "conversion"),
                    figure("webapp-revenue", l.revenue_text, "revenue"), figure("webapp-earned", l.earned_text, "earned"));
      const actions = el("div", null, { class: "actions" });
      actions.append(copyButton(l.url), shareButton(l.url), qrButton(l, card));
      card.append(head, funnel, actions);
      box.appendChild(card);
    }
  }

  // Levels 1..3 always; 4..6 once the partner has money there (a deeper commission schedule).
  function shownLevels(rows) {
    let depth = 3;
    for (const r of rows) for (let n = 4; n <= 6; n++) if (r["l" + n + "_kopecks"]) depth = Math.max(depth, n);
    return Array.from({ length: depth }, (_, i) => i + 1);
  }

  async function renderEarnings(isAuthor) {
    const e = await api("/api/v1/trackers/" + trackerId + "/earnings");
    const body = $("#levels tbody");
    body.replaceChildren();
    const levels = (isAuthor ? [["author", "webapp-author"]] : []).concat(
      shownLevels([e.settled, e.forecast]).map((n) => ["l" + n, "webapp-level-" + n]), [["total", "webapp-total"]]);
    for (const [key, label] of levels) {
      body.appendChild(row([T[label], e.settled[key + "_text"], e.forecast[key + "_text"]], { "data-level": key }));
    }
  }

  function drawChart(items, isAuthor) {
    const box = $("#chart");
    const ordered = items.slice().reverse();
    const x = ordered.map((_, i) => i);
    const rub = (key) => ordered.map((m) => m[key + "_kopecks"] / 100);
    const css = getComputedStyle(document.documentElement);
    const colour = (name, fallback) => (css.getPropertyValue(name).trim() || fallback);
    const strokes = [colour("--button", "#2481cc"), "#e8912d", "#8e5cd9", "#e74c3c", "#16a085", "#7f8c8d"];
    const levels = shownLevels(items);
    const series = [{ label: T["webapp-month"], value: (u, v) => (v === null || !ordered[v] ? "—" : ordered[v].month_text) }]
      .concat(levels.map((n) => ({ label: T["webapp-level-" + n], stroke: strokes[n - 1], width: 2 })));
    const data = [x].concat(levels.map((n) => rub("l" + n)));
    if (isAuthor) { series.push({ label: T["webapp-author"], stroke: "#3aa757", width: 2 }); data.push(rub("author")); }
    const opts = {
      width: Math.max(280, box.clientWidth || 320), height: 220, series: series, legend: { show: true },
      scales: { x: { time: false } },
      axes: [{ stroke: colour("--hint", "#7d8791"), space: 90, values: (u, ticks) => ticks.map((t) => (ordered[t] ? ordered[t].month_text : "")) },
             { stroke: colour("--hint", "#7d8791") }],
    };
    if (chart) chart.destroy();
    box.replaceChildren();
    box.setAttribute("aria-label", T["webapp-chart"]);
    chart = new uPlot(opts, data, box);
  }

  async function renderStatements(isAuthor) {
    const { items } = await api("/api/v1/trackers/" + trackerId + "/statements", { months: months, limit: 50 });
    drawChart(items, isAuthor);
    const body = $("#months tbody");
    body.replaceChildren();
    const shown = items.filter((m) => m.total_kopecks !== 0);  // as the chat cabinet: months with money only
    $("#no-months").hidden = shown.length > 0;
    for (const th of document.querySelectorAll("#months .author")) th.hidden = !isAuthor;
    const levels = shownLevels(items);
    for (const th of document.querySelectorAll("#months .deep")) th.hidden = !levels.includes(+th.dataset.level);
    for (const m of shown) {
      const cells = [m.month_text, m.total_text, ...levels.map((n) => m["l" + n + "_text"])];
      if (isAuthor) cells.push(m.author_text);
      body.appendChild(row(cells, { "data-month": m.month }));
    }
    $("#months").dataset.months = String(months);
  }

  async function renderNetwork() {
    const { items } = await api("/api/v1/trackers/" + trackerId + "/network");
    const body = $("#network tbody");
    body.replaceChildren();
    for (const lv of items) body.appendChild(row([T["webapp-level-" + lv.level], lv.people, lv.paying], { "data-level": lv.level }));
  }

  async function renderPayouts() {
    const { items } = await api("/api/v1/payouts", { limit: 20 });
    $("#no-payouts").hidden = items.length > 0;
    $("#payouts").hidden = items.length === 0;
    const body = $("#payouts tbody");
    body.replaceChildren();
    for (const p of items) body.appendChild(row([p.created_text, p.amount_text, p.status_text], { "data-payout": p.id }));
  }

  async function renderTracker() {
    state("loading");
    const tracker = me.trackers.find((t) => t.id === trackerId);
    const isAuthor = !!(tracker && tracker.is_author);
    await Promise.all([renderLinks(), renderEarnings(isAuthor), renderStatements(isAuthor), renderNetwork(), renderPayouts()]);
    state("ready");
  }

  function pickTracker() {
    const select = $("#tracker");
    const choices = me.scope_tracker_id ? me.trackers.filter((t) => t.id === me.scope_tracker_id) : me.trackers;
    // "My partner programs" opens this page on the tracker it was asked for (?tracker=<id>).
    const wanted = Number(new URLSearchParams(location.search).get("tracker"));
    const first = choices.find((t) => t.id === wanted) || choices[0];
    trackerId = first ? first.id : null;
    select.replaceChildren(...choices.map((t) => el("option", t.name + " (@" + t.username + ")", { value: t.id })));
    select.value = String(trackerId);
    select.hidden = choices.length < 2;
    select.addEventListener("change", () => { trackerId = Number(select.value); renderTracker(); });
  }

  M.start(async () => {
    T = M.T;
    me = await api("/api/v1/me");
    renderBalance(me.balance);
    pickTracker();
    $("#cabinet").hidden = false;
    M.periodButtons(async (picked) => {
      months = picked;
      const tracker = me.trackers.find((t) => t.id === trackerId);
      await renderStatements(!!(tracker && tracker.is_author));
    });
    if (trackerId === null) { state("ready"); return; }
    await renderTracker();
  });
})();
