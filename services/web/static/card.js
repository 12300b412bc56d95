/* The payout card page: YooKassa's payout widget takes the card number in its own form; this page
   gets back only the card synonym (payout_token) and its mask, and posts those with its session.
   The card number never passes through this page's code or the platform. */
(function () {
  "use strict";
  const launch = new URLSearchParams(location.hash.slice(1));
  const tg = window.Telegram && window.Telegram.WebApp;
  const initData = (tg && tg.initData) || launch.get("tgWebAppData") || "";
  const base = location.pathname.replace(/\/card\/*$/, "");
  let session = null, T = {};

  function $(sel) { return document.querySelector(sel); }
  function state(value) { document.body.dataset.state = value; }
  function refuse(message) {
    $("#status").hidden = true;
    $("#card").hidden = true;
    const box = $("#refused");
    box.textContent = message;
    box.hidden = false;
    state("refused");
  }
  function unsafeLang() {
    try { return (JSON.parse(new URLSearchParams(initData).get("user")).language_code || "").slice(0, 2); }
    catch (e) { return ""; }
  }
  function theme() {
    let params = (tg && tg.themeParams) || null;
    if (!params) { try { params = JSON.parse(launch.get("tgWebAppThemeParams") || "null"); } catch (e) { params = null; } }
    for (const [key, value] of Object.entries(params || {})) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
    return params || {};
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

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  async function save(data) {
    const r = await fetch("/app/payout-card", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + session.token, "Accept-Language": session.lang },
      body: JSON.stringify({ payout_token: data.payout_token, first6: data.first6, last4: data.last4,
                             issuer_name: data.issuer_name || "" }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { refuse(body.message || T["webapp-card-failed"]); return; }
    $("#payout-form").hidden = true;
    $("#masked").textContent = body.masked;
    $("#saved").hidden = false;
    state("saved");
  }

  async function main() {
    const colors = theme();
    if (!(await login())) return;
    const r = await fetch("/app/card-config.json?lang=" + session.lang);
    if (!r.ok) { refuse(T["webapp-card-off"]); return; }
    const config = await r.json();
    try { await loadScript(config.widget_url); } catch (e) { refuse(T["webapp-card-failed"]); return; }
    const widget = new window.PayoutsData({
      type: "payout",
      account_id: config.account_id,
      lang: session.lang,
      customization: colors.button_color ? { colors: { control_primary: colors.button_color } } : undefined,
      success_callback: (data) => { save(data).catch(() => refuse(T["webapp-card-failed"])); },
      error_callback: () => refuse(T["webapp-card-failed"]),
    });
    await widget.render("payout-form");
    $("#status").hidden = true;
    $("#card").hidden = false;
    state("ready");
  }

  main().catch(() => refuse(T["webapp-card-failed"] || "error"));
})();
