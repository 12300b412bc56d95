/* "My partner programs" (opened from that screen of the platform bot): every tracker the person
   promotes with their earnings there, as the chat screen lists them, and the platform balance.
   Each opens the partner cabinet page on that tracker, or the tracker bot's own cabinet. */
(function () {
  "use strict";
  const M = window.MiniApp;
  const { $, el, api, fill } = M;

  function figure(labelKey, value, key) {
    const cell = el("div", null, { class: "figure", "data-f": key });
    cell.append(el("span", M.T[labelKey]), el("b", String(value)));
    return cell;
  }

  function statusText(status) {
    if (status === "active") return "";
    return M.T[status === "paused" ? "webapp-programs-paused" : "webapp-programs-stopped"];
  }

  function card(p) {
    const role = p.is_author ? "author" : "partner";
    const box = el("article", null, { class: "link program", "data-tracker": p.tracker_id, "data-role": role,
                                      "data-status": p.status, "data-cabinet": p.cabinet_url });
    const head = el("div", null, { class: "link-head" });
    const title = el("b");
    title.append(el("span", p.name, { class: "name" }), " (@", el("span", p.username, { class: "username" }), ")");
    const kind = [M.T["webapp-programs-" + role], statusText(p.status)].filter(Boolean).join(" · ");
    head.append(title, el("small", kind, { class: "muted kind" }));
    const figures = el("div", null, { class: "funnel" });
    figures.append(figure("webapp-settled", p.settled_total_text, "settled"),
                   figure("webapp-forecast", p.forecast_total_text, "forecast"),
                   figure("webapp-programs-links", p.links_text, "links"));
    const open = el("button", M.T["webapp-programs-open"], { type: "button", "data-open": p.tracker_id });
    open.addEventListener("click", () => { location.href = M.pageUrl("?tracker=" + p.tracker_id); });
    const bot = el("button", M.T["webapp-programs-bot"], { type: "button", class: "ghost" });
    bot.addEventListener("click", () => (M.tg && M.tg.openTelegramLink ? M.tg.openTelegramLink(p.cabinet_url)
                                                                       : window.open(p.cabinet_url, "_blank")));
    const actions = el("div", null, { class: "actions" });
    actions.append(open, bot);
    box.append(head, figures, actions);
    return box;
  }

  M.start(async () => {
    M.state("loading");
    const [list, me] = await Promise.all([api("/api/v1/programs"), api("/api/v1/me")]);
    for (const k of ["available", "accrued", "reserved", "paid"]) fill("balance." + k, me.balance[k + "_text"]);
    $("#programs").replaceChildren(...list.items.map(card));
    $("#no-programs").hidden = list.items.length > 0;
    $("#programs-page").hidden = false;
    M.state("ready");
  });
})();
