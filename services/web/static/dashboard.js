/* The author's dashboard of one tracker (opened from its card in the platform bot): the chat
   dashboard's figures, and its months over the period picked, as a table and a chart. The
   tracker is the last part of the address; the API answers 404 for anyone but its author. */
(function () {
  "use strict";
  const M = window.MiniApp;
  const { $, row, api, fill } = M;
  const trackerId = location.pathname.split("/").pop();
  let chart = null;

  function drawChart(items) {
    const box = $("#chart");
    const ordered = items.slice().reverse();
    const rub = (key) => ordered.map((m) => m[key + "_kopecks"] / 100);
    const css = getComputedStyle(document.documentElement);
    const hint = css.getPropertyValue("--hint").trim() || "#7d8791";
    const opts = {
      width: Math.max(280, box.clientWidth || 320), height: 220, legend: { show: true }, scales: { x: { time: false } },
      series: [{ label: M.T["webapp-month"], value: (u, v) => (v === null || !ordered[v] ? "—" : ordered[v].month_text) },
               { label: M.T["webapp-dash-revenue"], stroke: css.getPropertyValue("--button").trim() || "#2481cc", width: 2 },
               { label: M.T["webapp-dash-tokens"], stroke: "#e8912d", width: 2 },
               { label: M.T["webapp-dash-margin"], stroke: "#3aa757", width: 2 }],
      axes: [{ stroke: hint, space: 90, values: (u, ticks) => ticks.map((t) => (ordered[t] ? ordered[t].month_text : "")) }, { stroke: hint }],
    };
    if (chart) chart.destroy();
    box.replaceChildren();
    box.setAttribute("aria-label", M.T["webapp-dash-chart"]);
    chart = new uPlot(opts, [ordered.map((_, i) => i), rub("revenue"), rub("token_cost"), rub("margin")], box);
  }

  async function render(months) {
    const d = await api("/api/v1/trackers/" + trackerId + "/dashboard", { months: months });
    fill("name", d.name);
    fill("active", d.active_text);
    fill("estimate", d.estimate_text);
    fill("settled", d.settled_text);
    fill("forecast", d.forecast_text);
    fill("clients", d.clients_with_cost_text);
    fill("median", d.median_cost_text);
    fill("p90", d.p90_cost_text);
    const top = $("#top tbody");
    top.replaceChildren(...d.top.map((c) => row([c.name, c.cost_text])));
    $("#no-top").hidden = d.top.length > 0;
    $("#top").hidden = d.top.length === 0;
    const body = $("#months tbody");
    body.replaceChildren(...d.months.map((m) => row(
      [m.month_text, m.new_text, m.churned_text, m.revenue_text, m.token_cost_text, m.margin_text], { "data-month": m.month })));
    $("#months").dataset.months = String(months);
    drawChart(d.months);
  }

  M.start(async () => {
    M.state("loading");
    $("#dashboard").hidden = false;  // before drawing: the chart takes the width of its box
    await render(12);
    M.periodButtons(render);
    M.state("ready");
  });
})();
