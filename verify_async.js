#!/usr/bin/env node
// verify_async.js: checks the asynchronous payment flow against a running paygate daemon.
//
//   node verify_async.js                       # http://localhost:8000, seeded test merchant
//   API_URL=http://host:8000 node verify_async.js
//
// Creates an order and a UPI payment, checks the API answers at once with status "pending",
// then polls until the worker settles it ("success" or "failed"). Exits non-zero on any failure.
// Node 20+, no npm packages (global fetch). Env: API_URL, API_KEY, API_SECRET, VPA,
// VERIFY_TIMEOUT_MS (how long to wait for the final state, default 60000).
"use strict";

const API_URL = (process.env.API_URL || "http://localhost:8000").replace(/\/+$/, "");
const API_KEY = process.env.API_KEY || "key_test_abc123";
const API_SECRET = process.env.API_SECRET || "secret_test_xyz789";
const VPA = process.env.VPA || "verify@okhdfc";
const TIMEOUT_MS = Number(process.env.VERIFY_TIMEOUT_MS || 60000);
const REQUEST_TIMEOUT_MS = 10000;
const POLL_MS = 500;

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

async function expectStatus(method, path, body, expected) {
  const res = await call(method, path, body);
  if (res.status !== expected) {
    const err = res.body && res.body.error;
    const why = err ? `${err.code}: ${err.description}` : JSON.stringify(res.body).slice(0, 200);
    throw new VerifyError(`${method} ${path}: expected HTTP ${expected}, got ${res.status} (${why})`);
  }
  return res.body;
}

async function pollPayment(id, finals) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last;
  let polls = 0;
  while (Date.now() < deadline) {
    last = await expectStatus("GET", `/api/v1/payments/${id}`, undefined, 200);
    polls += 1;
    if (finals.includes(last.status)) return { payment: last, polls };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new VerifyError(`payment ${id} still "${last && last.status}" after ${TIMEOUT_MS} ms`);
}

async function main() {
  console.log(`verify_async: ${API_URL}`);
  const health = await expectStatus("GET", "/health", undefined, 200);
  check(health.status === "healthy", `health is ${JSON.stringify(health)}`);
  ok(`daemon healthy (database ${health.database}, worker ${health.worker})`);

  const order = await expectStatus("POST", "/api/v1/orders", { amount: 50000, currency: "INR", receipt: "verify_async" }, 201);
  check(/^order_[A-Za-z0-9]{16}$/.test(order.id), `order id ${order.id} has the wrong shape`);
  check(order.amount === 50000 && order.status === "created", `order is ${JSON.stringify(order)}`);
  ok(`order ${order.id} created (${rupees(order.amount)})`);

  const started = Date.now();
  const payment = await expectStatus("POST", "/api/v1/payments", { order_id: order.id, method: "upi", vpa: VPA }, 201);
  check(/^pay_[A-Za-z0-9]{16}$/.test(payment.id), `payment id ${payment.id} has the wrong shape`);
  check(payment.status === "pending", `a new payment must be "pending" at once, got "${payment.status}"`);
  check(payment.amount === order.amount && payment.order_id === order.id, "payment does not match its order");
  ok(`payment ${payment.id} accepted as "pending" in ${Date.now() - started} ms (method upi, vpa ${payment.vpa})`);

  const jobs = await expectStatus("GET", "/api/v1/test/jobs/status", undefined, 200);
  for (const key of ["pending", "processing", "completed", "failed"]) {
    check(Number.isInteger(jobs[key]), `jobs status ${key} is not a number: ${JSON.stringify(jobs)}`);
  }
  ok(`job queue: ${jobs.pending} pending, ${jobs.processing} processing, worker ${jobs.worker_status}`);

  const { payment: final, polls } = await pollPayment(payment.id, ["success", "failed"]);
  if (final.status === "failed") {
    check(Boolean(final.error_code && final.error_description), "a failed payment must carry error_code and error_description");
    ok(`payment settled as "failed" (${final.error_code}: ${final.error_description}) after ${polls} polls`);
  } else {
    ok(`payment settled as "success" after ${polls} polls, ${Date.now() - started} ms`);
    const paid = await expectStatus("GET", `/api/v1/orders/${order.id}`, undefined, 200);
    check(paid.status === "paid", `order should be "paid", is "${paid.status}"`);
    ok(`order ${order.id} is "paid"`);
  }
  console.log("PASS: asynchronous payment flow works");
}

main().catch((err) => {
  console.error(`FAIL: ${err instanceof VerifyError ? err.message : err.stack || err}`);
  process.exit(1);
});
