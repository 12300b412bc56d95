/* What every page of the Mini App shares: the login by Telegram's initData (with the bot named in
   the page's address: /app/<kind>/<bot id>/...), the page's texts, the API calls with the session,
   Telegram's theme colours, and the refusal. Each page's own script calls MiniApp.start(main). */
(function () {
  "use strict";
  const launch = new URLSearchParams(location.hash.slice(1));
  const tg = window.Telegram && window.Telegram.WebApp;
  const M = {
    tg: tg,
    initData: (tg && tg.initData) || launch.get("tgWebAppData") || "",
    bot: location.pathname.split("/").slice(0, 4).join("/"),  // "/app/platform/5000": whose initData this is
    session: null,
    T: {},
  };

  M.$ = (sel) => document.querySelector(sel);
  M.el = function (tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  };
  M.row = function (cells, attrs) {
    const tr = M.el("tr", null, attrs);
    for (const c of cells) tr.appendChild(c instanceof Node ? c : M.el("td", c));
    return tr;
  };
  M.state = (value) => { document.body.dataset.state = value; };
  M.fill = function (key, text) {
    const node = document.querySelector('[data-k="' + key + '"]');
    if (node) node.textContent = text;
  };
  // Another page of the same bot: the launch data goes along, so that page logs in the same way.
  M.pageUrl = (path) => M.bot + path + location.hash;

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
    try { return (JSON.parse(new URLSearchParams(M.initData).get("user")).language_code || "").slice(0, 2); }
    catch (e) { return ""; }
  }

  async function call(path, params) {
    const query = new URLSearchParams(params || {}).toString();
    const r = await fetch(path + (query ? "?" + query : ""),
                          { headers: { Authorization: "Bearer " + M.session.token, "Accept-Language": M.session.lang } });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).message || r.status);
    return r;
  }
  M.api = async (path, params) => (await call(path, params)).json();
  // An image the API serves only with the session (a link's QR code), as an address an <img> can show.
  M.image = async (path) => URL.createObjectURL(await (await call(path)).blob());

  M.refuse = function (message) {
    M.$("#status").hidden = true;
    for (const node of document.querySelectorAll(".page")) node.hidden = true;
    const box = M.$("#refused");
    box.textContent = message;
    box.hidden = false;
    M.state("refused");
  };

  async function login() {
    const lang = unsafeLang() === "en" ? "en" : "ru";
    const r = await fetch(M.bot + "/session?lang=" + lang, { method: "POST", headers: { "Content-Type": "application/json" },
                                                             body: JSON.stringify({ init_data: M.initData }) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { M.refuse(body.message || "401"); return false; }
    M.session = { token: body.session, lang: body.lang };
    M.T = await (await fetch("/app/messages/" + body.lang + ".json")).json();
    document.documentElement.lang = body.lang;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = M.T[node.dataset.t] || "";
    return true;
  }

  // The 3/6/12 months buttons: `onPick(months)` redraws what depends on the period.
  M.periodButtons = function (onPick) {
    for (const b of document.querySelectorAll(".period button")) {
      b.addEventListener("click", async () => {
        for (const other of document.querySelectorAll(".period button")) other.classList.toggle("on", other === b);
        M.state("loading");
        await onPick(Number(b.dataset.months));
        M.state("ready");
      });
    }
  };

  M.start = function (main) {
    theme();
    tellTelegram("web_app_ready");
    tellTelegram("web_app_expand");
    (async () => {
      if (!(await login())) return;
      M.$("#status").hidden = true;
      await main();
    })().catch((e) => { M.refuse(String(e.message || e)); });
  };

  window.MiniApp = M;
})();
