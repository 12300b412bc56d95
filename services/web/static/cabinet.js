/* The partner cabinet as a Telegram Mini App. No framework, no CDN: the chart library (uPlot,
   MIT, vendored) comes from this server too. Every figure arrives formatted by the server
   (i18n.format); this page only lays them out. */
(function () {
  "use strict";
  const launch = new URLSearchParams(location.hash.slice(1));
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData = (tg && tg.initData) || launch.get("tgWebAppData") || "";
  const base = location.pathname.replace(/\/+$/, "");
  let session = null, T = {}, me = null, trackerId = null, months = 12, chart = null;

  function $(sel) { return document.querySelector(sel); }
  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  function row(cells, attrs) {
    const tr = el("tr", null, attrs);
    for (const c of cells) tr.appendChild(c instanceof Node ? c : el("td", c));
    return tr;
  }
  function state(value) { document.body.dataset.state = value; }

  function theme() {
    let params = (tg && tg.themeParams) || null;
    if (!params) { try { params = JSON.parse(launch.get("tgWebAppThemeParams") || "null"); } catch (e) { params = null; } }
    for (const [key, value] of Object.entries(params || {})) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }

  function tellTelegram(event) {  // what telegram-web-app.js would post, without loading it from telegram.org
    const proxy = window.TelegramWebviewProxy;
    if (proxy && proxy.postEvent) { proxy.postEvent(event, ""); return; }
    if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: event, eventData: "" }), "*");
  }

  function unsafeLang() {
    try { return (JSON.parse(new URLSearchParams(initData).get("user")).language_code || "").slice(0, 2); }
    catch (e) { return ""; }
  }

  async function api(path, params) {
    const query = new URLSearchParams(params || {}).toString();
    const r = await fetch(path + (query ? "?" + query : ""), { headers: { Authorization: "Bearer " + session.token, "Accept-Language": session.lang } });
    if (!r.ok) throw new Error((await r.json()).message || r.status);
    return r.json();
  }

  function refuse(message) {
    $("#status").hidden = true;
    $("#cabinet").hidden = true;
    const box = $("#refused");
    box.textContent = message;
    box.hidden = false;
    state("refused");
  }

  async function login() {
    const lang = unsafeLang() === "en" ? "en" : "ru";
    const r = await fetch(base + "/session?lang=" + lang, { method: "POST", headers: { "Content-Type": "application/json" },
                                                            body: JSON.stringify({ init_data: initData }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { refuse(body.message || "401"); return false; }
    session = { token: body.session, lang: body.lang };
    T = await (await fetch("/app/messages/" + body.lang + ".json")).json();
    document.documentElement.lang = body.lang;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = T[node.dataset.t] || "";
    return true;
  }

  function fill(key, text) { const node = document.querySelector('[data-k="' + key + '"]'); if (node) node.textContent = text; }

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
    b.addEventListener("click", () => (tg && tg.openTelegramLink ? tg.openTelegramLink(share) : window.open(share, "_blank")));
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
      actions.append(copyButton(l.url), shareButton(l.url));
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
      axes: [{ stroke: colour("--hint", "#7d8791"), values: (u, ticks) => ticks.map((t) => (ordered[t] ? ordered[t].month_text : "")) },
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
    trackerId = choices.length ? choices[0].id : null;
    select.replaceChildren(...choices.map((t) => el("option", t.name + " (@" + t.username + ")", { value: t.id })));
    select.hidden = choices.length < 2;
    select.addEventListener("change", () => { trackerId = Number(select.value); renderTracker(); });
  }

  async function main() {
    theme();
    tellTelegram("web_app_ready");
    tellTelegram("web_app_expand");
    if (!(await login())) return;
    me = await api("/api/v1/me");
    renderBalance(me.balance);
    pickTracker();
    $("#status").hidden = true;
    $("#cabinet").hidden = false;
    for (const b of document.querySelectorAll(".period button")) {
      b.addEventListener("click", async () => {
        months = Number(b.dataset.months);
        for (const other of document.querySelectorAll(".period button")) other.classList.toggle("on", other === b);
        state("loading");
        const tracker = me.trackers.find((t) => t.id === trackerId);
        await renderStatements(!!(tracker && tracker.is_author));
        state("ready");
      });
    }
    if (trackerId === null) { state("ready"); return; }
    await renderTracker();
  }

  main().catch((e) => { refuse(String(e.message || e)); });
})();
