// verify_client.js: what verify_async.js and verify_refund_status.js share. Node 20+, no npm packages.
// Env: API_URL (default http://localhost:8000), API_KEY, API_SECRET (default: the seeded test
// merchant), VERIFY_TIMEOUT_MS (how long one wait for a state may take, default 60000).
"use strict";

const API_URL = (process.env.API_URL || "http://localhost:8000").replace(/\/+$/, "");
const API_KEY = process.env.API_KEY || "key_test_abc123";
const API_SECRET = process.env.API_SECRET || "secret_test_xyz789";
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

// Paise to "₹500.00" with integer arithmetic: money is never a float, not even on screen.
function rupees(paise) {
  const sign = paise < 0 ? "-" : "";
  const abs = Math.abs(paise);
  return `${sign}₹${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
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

// GET `path` until its status is one of `stops`; returns { last, polls }. Bounded by TIMEOUT_MS.
async function pollStatus(path, stops) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last;
  let polls = 0;
  while (Date.now() < deadline) {
    last = await expectStatus("GET", path, undefined, 200);
    polls += 1;
    if (stops.includes(last.status)) return { last, polls };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new VerifyError(`${path} still "${last && last.status}" after ${TIMEOUT_MS} ms, expected one of ${stops.join(", ")}`);
}

// Wait for `wanted`; reaching one of `finals` first is a failure.
async function waitFor(path, wanted, finals) {
  const { last } = await pollStatus(path, [wanted, ...finals]);
  if (last.status !== wanted) throw new VerifyError(`${path} ended as "${last.status}", expected "${wanted}" (${describe(last)})`);
  return last;
}

function run(main) {
  main().catch((err) => {
    console.error(`FAIL: ${err instanceof VerifyError ? err.message : err.stack || err}`);
    process.exit(1);
  });
}

module.exports = { API_URL, VerifyError, ok, check, rupees, call, describe, expectStatus, pollStatus, waitFor, run };
