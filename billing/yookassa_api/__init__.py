"""YooKassa API v3, split by what it does: `client` (the SDK made safe for asyncio), `payments`
(payments, refunds, notifications, receipts), `payouts`, and `values` (errors, amounts, request
values). `billing.yookassa_gateway.YooKassaGateway` is all of it on one account."""
