#!/usr/bin/env node
// verify_refund_status.js: checks full and partial refunds against a running paygate daemon.
//
//   node verify_refund_status.js               # http://localhost:8000, seeded test merchant
//   API_URL=http://host:8000 node verify_refund_status.js
//
// Order → card payment with real card data (4242 4242 4242 4242) → "success" → partial refund →
// payment "partially_refunded" → refund of the rest → "refunded" → any further refund refused.
// Exits non-zero on any failure. Node 20+, no npm packages (global fetch; helpers in
// verify_client.js). Env: API_URL, API_KEY, API_SECRET, VERIFY_TIMEOUT_MS (per wait, default 60000).
"use strict";

const { API_URL, ok, check, rupees, call, describe, expectStatus, waitFor, run } = require("./verify_client.js");

const AMOUNT = 50000;
const PARTIAL = 20000;

async function refund(payment, amount, reason) {
  const r = await expectStatus("POST", `/api/v1/payments/${payment.id}/refunds`, { amount, reason }, 201);
  check(/^rfnd_[A-Za-z0-9]{16}$/.test(r.id), `refund id ${r.id} has the wrong shape`);
  check(r.status === "pending" && r.amount === amount && r.payment_id === payment.id, `refund is ${JSON.stringify(r)}`);
  check(r.reason === reason, `reason did not round-trip: sent ${JSON.stringify(reason)}, got ${JSON.stringify(r.reason)}`);
  ok(`refund ${r.id} of ${rupees(amount)} created as "pending"`);
  const done = await waitFor(`/api/v1/refunds/${r.id}`, "processed", ["failed"]);
  check(typeof done.processed_at === "string" && done.processed_at.endsWith("Z"), `processed_at is ${done.processed_at}`);
  ok(`refund ${r.id} processed at ${done.processed_at}`);
  return done;
}

async function main() {
  console.log(`verify_refund_status: ${API_URL}`);
  const order = await expectStatus("POST", "/api/v1/orders", { amount: AMOUNT, currency: "INR", receipt: "verify_refund_status" }, 201);
  ok(`order ${order.id} created (${rupees(order.amount)})`);

  const card = {
    number: "4242 4242 4242 4242",
    expiry_month: 12,
    expiry_year: new Date().getUTCFullYear() + 3,
    cvv: "123",
    holder_name: "Verify Script",
  };
  const payment = await expectStatus("POST", "/api/v1/payments", { order_id: order.id, method: "card", card }, 201);
  check(payment.status === "pending", `a new payment must be "pending", got "${payment.status}"`);
  check(payment.card_network === "visa" && payment.card_last4 === "4242", "card_network/card_last4 are wrong");
  check(!JSON.stringify(payment).includes("4242424242424242") && !("cvv" in payment), "the card number or CVV came back");
  ok(`card payment ${payment.id} pending (visa •••• 4242)`);
  await waitFor(`/api/v1/payments/${payment.id}`, "success", ["failed"]);
  ok(`payment ${payment.id} is "success"`);

  await refund(payment, PARTIAL, "partial: वापसी 🎁");
  await waitFor(`/api/v1/payments/${payment.id}`, "partially_refunded", ["refunded"]);
  ok(`payment is "partially_refunded" (${rupees(PARTIAL)} of ${rupees(AMOUNT)} refunded)`);

  const over = await call("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: AMOUNT - PARTIAL + 1 });
  check(over.status === 400 && over.body.error?.description === "Refund amount exceeds available amount", `over-refund was not refused: ${over.status} ${describe(over.body)}`);
  ok(`a refund above the available ${rupees(AMOUNT - PARTIAL)} is refused (400)`);

  await refund(payment, AMOUNT - PARTIAL, "the rest");
  await waitFor(`/api/v1/payments/${payment.id}`, "refunded", []);
  ok(`payment is "refunded"`);

  const listed = await expectStatus("GET", `/api/v1/payments/${payment.id}/refunds`, undefined, 200);
  const total = listed.data.reduce((sum, r) => sum + r.amount, 0);
  check(listed.total === 2 && total === AMOUNT, `the payment's refunds add up to ${total} in ${listed.total} refunds`);
  const more = await call("POST", `/api/v1/payments/${payment.id}/refunds`, { amount: 1 });
  check(more.status === 400, `a refund of a refunded payment must be 400, got ${more.status}`);
  ok(`2 refunds add up to ${rupees(total)}; further refunds are refused (${describe(more.body)})`);
  console.log("PASS: partial and full refunds move the payment to partially_refunded and refunded");
}

run(main);
