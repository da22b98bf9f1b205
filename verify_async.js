#!/usr/bin/env node
// verify_async.js: checks the asynchronous payment flow against a running paygate daemon.
//
//   node verify_async.js                       # http://localhost:8000, seeded test merchant
//   API_URL=http://host:8000 node verify_async.js
//
// Creates an order and a UPI payment, checks the API answers at once with status "pending",
// then polls until the worker settles it ("success" or "failed"). Exits non-zero on any failure.
// Node 20+, no npm packages (global fetch; helpers in verify_client.js). Env: API_URL, API_KEY,
// API_SECRET, VPA, VERIFY_TIMEOUT_MS (how long to wait for the final state, default 60000).
"use strict";

const { API_URL, ok, check, rupees, expectStatus, pollStatus, run } = require("./verify_client.js");

const VPA = process.env.VPA || "verify@okhdfc";

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

  const { last: final, polls } = await pollStatus(`/api/v1/payments/${payment.id}`, ["success", "failed"]);
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

run(main);
