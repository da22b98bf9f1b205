#!/usr/bin/env node
// verify_refund_status.js: checks full and partial refunds against a running paygate daemon.
//
//   node verify_refund_status.js               # http://localhost:8000, seeded test merchant
//   API_URL=http://host:8000 node verify_refund_status.js
//
// Order → card payment with real card data (4242 4242 4242 4242) → "success" → partial refund →
// payment "partially_refunded" → refund of the rest → "refunded" → any further refund refused.
// Exits non-zero on any failure. Node 20+, no npm packages (global fetch). Env: API_URL,
// API_KEY, API_SECRET, VERIFY_TIMEOUT_MS (per wait for a state, default 60000).
"use strict";

const API_URL = (process.env.API_URL || "http://localhost:8000").replace(/\/+$/, "");
const API_KEY = process.env.API_KEY || "key_test_abc123";
const API_SECRET = process.env.API_SECRET || "secret_test_xyz789";
const TIMEOUT_MS = Number(process.env.VERIFY_TIMEOUT_MS || 60000);
const REQUEST_TIMEOUT_MS = 10000;
const POLL_MS = 500;
const AMOUNT = 50000;
const PARTIAL = 20000;

class VerifyError extends Error {}

function ok(message) {
  console.log(`  ✓ ${message}`);
}

function check(condition, message) {
  if (!condition) throw new VerifyError(message);
}

function rupees(paise) {
  return `₹${(paise / 100).toFixed(2)}`;
}

async function call(method, path, body) {
  const headers = { "X-Api-Key": API_KEY, "X-Api-Secret": API_SECRET };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API_URL + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new VerifyError(`${method} ${path}: cannot reach ${API_URL} (${err.cause?.code || err.cause?.errors?.[0]?.code || err.name}: ${err.message})`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VerifyError(`${method} ${path}: HTTP ${response.status}, body is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: json };
}

function describe(body) {
  const err = body && body.error;
  return err ? `${err.code}: ${err.description}` : JSON.stringify(body).slice(0, 200);
}

async function expectStatus(method, path, body, expected) {
  const res = await call(method, path, body);
  if (res.status !== expected) {
    throw new VerifyError(`${method} ${path}: expected HTTP ${expected}, got ${res.status} (${describe(res.body)})`);
  }
  return res.body;
}

async function waitFor(path, wanted, finals) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    last = await expectStatus("GET", path, undefined, 200);
    if (last.status === wanted) return last;
    if (finals.includes(last.status)) throw new VerifyError(`${path} ended as "${last.status}", expected "${wanted}" (${describe(last)})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new VerifyError(`${path} still "${last && last.status}" after ${TIMEOUT_MS} ms, expected "${wanted}"`);
}

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

main().catch((err) => {
  console.error(`FAIL: ${err instanceof VerifyError ? err.message : err.stack || err}`);
  process.exit(1);
});
