"""The fake YooKassa's payout widget: the page script the real one serves at
https://yookassa.ru/payouts-data/3.1.0/widget.js, and the card synonyms it issues.

Like the real widget, the script defines ``window.PayoutsData``; ``new PayoutsData({type: "payout",
account_id, success_callback, error_callback, lang})`` and ``.render(elementId)`` show a card form
(plain elements here, an iframe at YooKassa) whose number goes to YooKassa only; on a good number
``success_callback`` gets ``{payout_token, first6, last4, issuer_name, issuer_country, card_type}``.
A number that fails Luhn stays in the form with an error, nothing is called. A wrong or missing
``account_id`` (the payout account's agentId) calls ``error_callback`` at ``render``.

``FakeYooKassa`` serves it at ``/payouts-data/widget.js`` and keeps the synonyms (``PayoutCards``);
``POST /v3/payouts`` with a ``payout_token`` it never issued is refused like the real API does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

TEST_CARD = "5555 5555 5555 4477"  # YooKassa's test card for payouts (passes Luhn)

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type"}


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 13 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card_type(number: str) -> str:
    return {"2": "Mir", "4": "Visa", "5": "MasterCard"}.get(number[:1], "Unknown")


class PayoutCards:
    """The card synonyms the widget issued: token -> the card as YooKassa shows it (no number)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.tokens: dict[str, dict[str, str]] = {}
        self.numbers: dict[str, str] = {}  # token -> number: what only YooKassa knows

    def issue(self, number: str) -> dict[str, str]:
        """What the widget gives the page for a card typed into it (ValueError: not a card)."""
        digits = "".join(ch for ch in number if ch.isdigit())
        if not luhn_ok(digits) or digits != number.replace(" ", "").replace("-", ""):
            raise ValueError("card number is invalid")
        token = f"pt-{uuid.uuid4()}"
        card = {"first6": digits[:6], "last4": digits[-4:], "card_type": _card_type(digits),
                "issuer_country": "RU", "issuer_name": "Fake Bank"}
        self.tokens[token] = card
        self.numbers[token] = digits
        return {"payout_token": token, **card}

    def known(self, token: str, number: str) -> None:
        """A synonym issued before the test began (by an earlier run of the widget)."""
        digits = number.replace(" ", "")
        self.tokens[token] = {"first6": digits[:6], "last4": digits[-4:], "card_type": _card_type(digits),
                              "issuer_country": "RU", "issuer_name": "Fake Bank"}
        self.numbers[token] = digits

    def destination(self, token: str) -> dict[str, Any] | None:
        card = self.tokens.get(token)
        return None if card is None else {"type": "bank_card", "card": dict(card)}

    # --- HTTP: the script and the form's call -----------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/payouts-data/widget.js", self._script)
        router.add_post("/payouts-data/cards", self._card)
        router.add_route("OPTIONS", "/payouts-data/cards", self._preflight)

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=WIDGET_JS, content_type="text/javascript")

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS)

    async def _card(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = {}
        if not isinstance(body, dict) or body.get("account_id") != self.account_id:
            return web.json_response({"error": "invalid_account_id"}, status=400, headers=CORS)
        try:
            card = self.issue(str(body.get("number", "")))
        except ValueError:
            return web.json_response({"error": "invalid_card_number"}, status=400, headers=CORS)
        return web.json_response(card, headers=CORS)


WIDGET_JS = r"""
(function () {
  var base = new URL(document.currentScript.src).origin;
  var TEXT = {
    ru: { number: "Номер карты", submit: "Продолжить", bad: "Проверьте номер карты" },
    en: { number: "Card number", submit: "Continue", bad: "Check the card number" }
  };
  function PayoutsData(options) {
    if (!options || options.type !== "payout") throw new Error("PayoutsData: type must be 'payout'");
    this.options = options;
    this.text = TEXT[options.lang === "en" ? "en" : "ru"];
  }
  PayoutsData.prototype.render = function (id) {
    var self = this, o = this.options, root = document.getElementById(id);
    if (!o.account_id) {
      if (o.error_callback) o.error_callback({ error: "invalid_account_id" });
      return Promise.resolve();
    }
    var form = document.createElement("form"), input = document.createElement("input");
    var button = document.createElement("button"), note = document.createElement("p");
    input.id = "yookassa-card-number"; input.inputMode = "numeric"; input.autocomplete = "cc-number";
    input.placeholder = this.text.number;
    button.id = "yookassa-card-submit"; button.type = "submit"; button.textContent = this.text.submit;
    note.id = "yookassa-card-error"; note.hidden = true;
    form.append(input, button, note);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch(base + "/payouts-data/cards", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ account_id: o.account_id, number: input.value }) })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          if (res.ok) { input.value = ""; o.success_callback(res.body); return; }
          if (res.body.error === "invalid_account_id") { if (o.error_callback) o.error_callback(res.body); return; }
          note.textContent = self.text.bad; note.hidden = false;
        });
    });
    root.textContent = "";
    root.append(form);
    return Promise.resolve();
  };
  PayoutsData.prototype.clearListeners = function () {};
  window.PayoutsData = PayoutsData;
})();
"""
