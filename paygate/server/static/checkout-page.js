/*
 * paygate hosted checkout page: shows the order, takes UPI or card details, creates the payment
 * through the public API and follows it to success or failure.
 *
 * Why it is shaped like this:
 * - The shopper's input goes to the paygate API only (the CSP's connect-src allows nothing else).
 * - Validation mirrors the server (paygate/instruments.py) so a mistyped card never leaves the
 *   browser; the server still validates everything.
 * - Every attempt carries an Idempotency-Key, and the button locks while one is in flight, so a
 *   double click or a retried request never makes two payments. When an attempt's outcome is
 *   unknown (network failure) the same key is reused for an identical retry.
 * - Embedded in the SDK's iframe, results go to the parent with postMessage addressed to the
 *   embedding page's origin, never to "*".
 * - Money stays integer minor units; formatting splits them with integer arithmetic.
 */
(function () {
  "use strict";

  var API = (document.querySelector('meta[name="paygate-api"]').getAttribute("content") || "").replace(/\/+$/, "");
  var params = new URLSearchParams(window.location.search);
  var orderId = params.get("order_id") || "";
  var shopKey = params.get("key");  // from checkout.js: the order must be this key's merchant's
  var embedded = params.get("embedded") === "true" && window.parent !== window;
  var parentOrigin = embedded ? resolveParentOrigin(params.get("origin")) : null;

  var POLL_FIRST_MS = 600;
  var POLL_EVERY_MS = 1000;
  var POLL_GIVE_UP_MS = 180000;
  var VPA_PATTERN = /^[a-zA-Z0-9._-]+@[a-zA-Z0-9]+$/;
  var NETWORKS = [
    ["visa", /^4/, "Visa"],
    ["mastercard", /^5[1-5]/, "Mastercard"],
    ["amex", /^3[47]/, "Amex"],
    ["rupay", /^(60|65|8[1-9])/, "RuPay"]
  ];
  var CURRENCIES = { INR: [2, "₹", "en-IN"], USD: [2, "$", "en-US"], EUR: [2, "€", "en-IE"], GBP: [2, "£", "en-GB"],
                     SGD: [2, "S$", "en-SG"], AED: [2, "AED ", "en-AE"], JPY: [0, "¥", "ja-JP"] };

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    root: $("checkout"), amount: document.querySelector('[data-test-id="order-amount"]'),
    orderId: document.querySelector('[data-test-id="order-id"]'), pay: $("pay-section"),
    tabUpi: $("tab-upi"), tabCard: $("tab-card"), upiForm: $("upi-form"), cardForm: $("card-form"),
    vpa: $("vpa"), number: $("card-number"), network: $("card-network"), expiry: $("expiry"), cvv: $("cvv"),
    holder: $("holder"), payButton: $("pay-button"), processing: $("processing-state"),
    success: $("success-state"), paymentId: document.querySelector('[data-test-id="payment-id"]'),
    error: $("error-state"), errorMessage: document.querySelector('[data-test-id="error-message"]'),
    retry: $("retry-button"), done: $("done-button"), errorTitle: $("error-title"), secure: $("secure-badge")
  };

  var state = { order: null, method: "upi", inFlight: false, lastUnknown: null, pollTimer: null, retryAction: null };

  // ---- the embedding page ------------------------------------------------------------------

  function originOf(url) {
    try {
      var u = new URL(url);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.origin : null;
    } catch (e) { return null; }
  }

  /* The origin results are posted to. A browser's own record of the ancestor wins over what the
     URL claims; a wrong claim only means the browser drops the message. */
  function resolveParentOrigin(claimed) {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length && ancestors[0] !== "null") return ancestors[0];
    return originOf(claimed || "") || originOf(document.referrer || "");
  }

  function tellParent(type, data) {
    if (!embedded || !parentOrigin) return;
    var message = { type: type };
    if (data !== undefined) message.data = data;
    window.parent.postMessage(message, parentOrigin);
  }

  // ---- money and instruments (mirrors paygate/money.py and paygate/instruments.py) ------------

  function formatAmount(amount, currency) {
    var spec = CURRENCIES[currency] || [2, currency + " ", "en-US"];
    var digits = spec[0], unit = Math.pow(10, digits);
    var negative = amount < 0, abs = Math.abs(amount);
    var major = Math.floor(abs / unit), minor = abs % unit;  // integers: amount is minor units
    var grouped = new Intl.NumberFormat(spec[2], { maximumFractionDigits: 0 }).format(major);
    var text = spec[1] + grouped + (digits ? "." + String(minor).padStart(digits, "0") : "");
    return (negative ? "-" : "") + text;
  }

  function cardDigits(value) { return value.replace(/[\s-]/g, ""); }

  function luhnOk(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = digits.charCodeAt(digits.length - 1 - i) - 48;
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      total += d;
    }
    return total % 10 === 0;
  }

  function detectNetwork(digits) {
    for (var i = 0; i < NETWORKS.length; i++) if (NETWORKS[i][1].test(digits)) return NETWORKS[i];
    return null;
  }

  function checkVpa(value) {
    if (!value) return "Enter your UPI ID";
    if (value.length > 255 || !VPA_PATTERN.test(value)) return "Enter a valid UPI ID, like name@bank";
    return "";
  }

  function checkCardNumber(value) {
    var digits = cardDigits(value);
    if (!digits) return "Enter your card number";
    if (!/^[0-9]+$/.test(digits) || digits.length < 13 || digits.length > 19 || !luhnOk(digits)) return "Card number is invalid";
    return "";
  }

  function parseExpiry(value) {
    var m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(value);
    if (!m) return null;
    var year = parseInt(m[2], 10);
    return { month: parseInt(m[1], 10), year: year < 100 ? year + 2000 : year };
  }

  function checkExpiry(value) {
    if (!value) return "Enter the expiry date";
    var e = parseExpiry(value);
    if (!e || e.month < 1 || e.month > 12) return "Use MM/YY, e.g. 08/29";
    var now = new Date();
    var y = now.getUTCFullYear(), mo = now.getUTCMonth() + 1;
    if (e.year < y || (e.year === y && e.month < mo)) return "This card has expired";
    return "";
  }

  function checkCvv(value) {
    if (!value) return "Enter the CVV";
    if (!/^[0-9]{3,4}$/.test(value)) return "CVV is 3 or 4 digits";
    return "";
  }

  function checkHolder(value) { return value.length > 200 ? "Name is too long" : ""; }

  // ---- field helpers -----------------------------------------------------------------------

  var checks = [
    [el.vpa, checkVpa, "upi"], [el.number, checkCardNumber, "card"], [el.expiry, checkExpiry, "card"],
    [el.cvv, checkCvv, "card"], [el.holder, checkHolder, "card"]
  ];

  function errorFor(input) { return document.getElementById(input.id + "-error"); }

  function showFieldError(input, message) {
    errorFor(input).textContent = message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function validateMethod(method) {
    var first = null;
    checks.forEach(function (c) {
      if (c[2] !== method) return;
      var message = c[1](c[0].value.trim());
      showFieldError(c[0], message);
      if (message && !first) first = c[0];
    });
    return first;
  }

  checks.forEach(function (c) {
    c[0].addEventListener("blur", function () { if (c[0].value.trim()) showFieldError(c[0], c[1](c[0].value.trim())); });
    c[0].addEventListener("input", function () { if (c[0].getAttribute("aria-invalid")) showFieldError(c[0], ""); });
    c[0].addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); pay(); } });
  });

  el.number.addEventListener("input", function () {
    var digits = el.number.value.replace(/\D/g, "").slice(0, 19);
    var grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
    if (grouped !== el.number.value) el.number.value = grouped;
    var net = detectNetwork(digits);
    el.network.textContent = net ? net[2] : "";
    el.network.setAttribute("data-network", net ? net[0] : "");
  });

  el.expiry.addEventListener("input", function (ev) {
    var digits = el.expiry.value.replace(/\D/g, "").slice(0, 4);
    var deleting = ev.inputType && ev.inputType.indexOf("delete") === 0;
    var text = digits.length > 2 || (digits.length === 2 && !deleting) ? digits.slice(0, 2) + "/" + digits.slice(2) : digits;
    if (text !== el.expiry.value) el.expiry.value = text;
  });

  el.cvv.addEventListener("input", function () {
    var digits = el.cvv.value.replace(/\D/g, "").slice(0, 4);
    if (digits !== el.cvv.value) el.cvv.value = digits;
  });

  // ---- method tabs -------------------------------------------------------------------------

  function selectMethod(method, focus) {
    state.method = method;
    [[el.tabUpi, el.upiForm, "upi"], [el.tabCard, el.cardForm, "card"]].forEach(function (t) {
      var on = t[2] === method;
      t[0].setAttribute("aria-selected", on ? "true" : "false");
      t[0].tabIndex = on ? 0 : -1;
      t[1].hidden = !on;
    });
    if (focus) (method === "upi" ? el.vpa : el.number).focus();
  }

  [el.tabUpi, el.tabCard].forEach(function (tab) {
    tab.addEventListener("click", function () { selectMethod(tab.getAttribute("data-method"), true); });
    tab.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowLeft" || ev.key === "ArrowRight") {
        var other = tab === el.tabUpi ? el.tabCard : el.tabUpi;
        selectMethod(other.getAttribute("data-method"), false);
        other.focus();
      }
    });
  });
  [el.upiForm, el.cardForm].forEach(function (f) { f.addEventListener("submit", function (ev) { ev.preventDefault(); pay(); }); });

  // ---- screens -----------------------------------------------------------------------------

  function show(screen) {
    el.pay.hidden = screen !== "form";
    el.processing.hidden = screen !== "processing";
    el.success.hidden = screen !== "success";
    el.error.hidden = screen !== "error";
    el.root.setAttribute("aria-busy", screen === "processing" ? "true" : "false");
  }

  function showError(message, retryAction, title) {
    el.errorTitle.textContent = title || "Payment failed";
    el.errorMessage.textContent = message;
    state.retryAction = retryAction || null;
    el.retry.hidden = !retryAction;
    show("error");
    (retryAction ? el.retry : el.error).focus();
  }

  function setPayEnabled(enabled) {
    el.payButton.disabled = !enabled;
    el.payButton.setAttribute("aria-disabled", enabled ? "false" : "true");
  }

  // ---- API ---------------------------------------------------------------------------------

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);  // works outside secure contexts, unlike randomUUID
    return "chk_" + Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function api(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({ Accept: "application/json" }, headers || {}), cache: "no-store",
                 credentials: "omit", referrerPolicy: "no-referrer" };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = body; }
    return fetch(API + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) { return { status: r.status, body: json }; });
    });
  }

  function describe(body, fallback) {
    return (body && body.error && body.error.description) || fallback;
  }

  // ---- the flow ----------------------------------------------------------------------------

  var INVALID_LINK = "This payment link is not valid. Ask the shop for a new one.";
  var INVALID_LINK_TITLE = "Invalid payment link";

  function loadOrder() {
    el.orderId.textContent = orderId || "—";
    if (!/^order_[A-Za-z0-9]{1,64}$/.test(orderId)) {
      el.amount.textContent = "—";
      return showError(INVALID_LINK, null, INVALID_LINK_TITLE);
    }
    show("form");
    setPayEnabled(false);
    var query = shopKey ? "?key=" + encodeURIComponent(shopKey) : "";
    api("GET", "/api/v1/orders/" + encodeURIComponent(orderId) + "/public" + query).then(function (res) {
      if (res.status !== 200) {
        el.amount.textContent = "—";
        if (res.status === 404) return showError(INVALID_LINK, null, INVALID_LINK_TITLE);  // no such order, or not this shop's
        return showError(describe(res.body, "Could not load the order."), loadOrder);
      }
      state.order = res.body;
      var amount = formatAmount(res.body.amount, res.body.currency);
      el.amount.textContent = amount;
      el.payButton.textContent = "Pay " + amount;
      if (res.body.status === "paid") return showError("This order has already been paid.", null);
      show("form");
      setPayEnabled(true);
      el.root.setAttribute("aria-busy", "false");
    }, function () {
      el.amount.textContent = "—";
      showError("Could not reach the payment server. Check your connection.", loadOrder);
    });
  }

  function paymentBody() {
    if (state.method === "upi") return { order_id: orderId, method: "upi", vpa: el.vpa.value.trim() };
    var exp = parseExpiry(el.expiry.value);
    var card = { number: cardDigits(el.number.value), expiry_month: exp.month, expiry_year: exp.year, cvv: el.cvv.value.trim() };
    var holder = el.holder.value.trim();
    if (holder) card.holder_name = holder;
    return { order_id: orderId, method: "card", card: card };
  }

  var FIELD_INPUTS = { vpa: el.vpa, "card.number": el.number, "card.cvv": el.cvv, "card.expiry_month": el.expiry,
                       "card.expiry_year": el.expiry, "card.holder_name": el.holder, card: el.number };

  function pay() {
    if (state.inFlight || !state.order) return;
    var invalid = validateMethod(state.method);
    if (invalid) { invalid.focus(); return; }
    var body = JSON.stringify(paymentBody());
    var key = state.lastUnknown && state.lastUnknown.body === body ? state.lastUnknown.key : randomKey();
    state.inFlight = true;
    setPayEnabled(false);
    el.payButton.textContent = "Processing…";
    show("processing");
    submit(body, key, 0);
  }

  function finishAttempt() {
    state.inFlight = false;
    el.payButton.textContent = state.order ? "Pay " + formatAmount(state.order.amount, state.order.currency) : "Pay";
    setPayEnabled(!!state.order);
  }

  function submit(body, key, conflicts) {
    api("POST", "/api/v1/payments/public", body, { "Idempotency-Key": key }).then(function (res) {
      if (res.status === 201 || res.status === 200) {
        state.lastUnknown = null;
        return poll(res.body.id, Date.now());
      }
      if (res.status === 409 && conflicts < 10) {  // the same attempt is still being created
        return setTimeout(function () { submit(body, key, conflicts + 1); }, 500);
      }
      state.lastUnknown = res.status >= 500 ? { body: body, key: key } : null;
      finishAttempt();
      var err = (res.body && res.body.error) || {};
      var input = FIELD_INPUTS[err.field];
      if (res.status === 400 && input && err.code !== "BAD_REQUEST_ERROR") {
        show("form");
        selectMethod(input === el.vpa ? "upi" : "card", false);
        showFieldError(input, err.description || "Check this field");
        input.focus();
        return;
      }
      var message = describe(res.body, "The payment could not be started.");
      tellParent("payment_failed", { orderId: orderId, code: err.code || "PAYMENT_FAILED", description: message });
      showError(message, backToForm);
    }, function () {
      state.lastUnknown = { body: body, key: key };  // outcome unknown: an identical retry reuses the key
      finishAttempt();
      showError("Could not reach the payment server. Check your connection and try again.", backToForm);
    });
  }

  function poll(paymentId, started) {
    clearTimeout(state.pollTimer);
    var next = function (delay) { state.pollTimer = setTimeout(function () { poll(paymentId, started); }, delay); };
    if (Date.now() - started > POLL_GIVE_UP_MS) {
      finishAttempt();
      return showError("The bank has not answered yet. We will keep your payment " + paymentId +
                       " safe; check again in a moment.", function () { resume(paymentId); });
    }
    api("GET", "/api/v1/payments/" + encodeURIComponent(paymentId) + "/public").then(function (res) {
      var p = res.body || {};
      if (res.status === 200 && p.status === "success") return succeeded(p);
      if (res.status === 200 && p.status === "failed") return failed(p);
      next(POLL_EVERY_MS);
    }, function () { next(POLL_EVERY_MS * 2); });
  }

  function resume(paymentId) {
    state.inFlight = true;
    setPayEnabled(false);
    show("processing");
    poll(paymentId, Date.now());
  }

  function succeeded(p) {
    finishAttempt();
    setPayEnabled(false);
    el.paymentId.textContent = p.id;
    el.done.hidden = !embedded;
    show("success");
    el.success.focus();
    tellParent("payment_success", { paymentId: p.id, orderId: p.order_id, status: p.status, method: p.method,
                                    amount: p.amount, currency: p.currency });
  }

  function failed(p) {
    finishAttempt();
    var message = p.error_description || "The payment was declined.";
    showError(message, backToForm);
    tellParent("payment_failed", { paymentId: p.id, orderId: p.order_id, status: p.status,
                                   code: p.error_code || "PAYMENT_FAILED", description: message });
  }

  function backToForm() {
    show("form");
    setPayEnabled(!!state.order && !state.inFlight);
    (state.method === "upi" ? el.vpa : el.number).focus();
  }

  el.retry.addEventListener("click", function () { if (state.retryAction) state.retryAction(); });
  el.payButton.addEventListener("click", pay);
  el.done.addEventListener("click", function () { tellParent("close_modal"); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && embedded) tellParent("close_modal");  // focus is in the iframe: the parent never sees the key
  });

  if (embedded) document.body.classList.add("embedded");
  var mode = document.querySelector('meta[name="paygate-mode"]');
  $("test-hint").hidden = !(mode && mode.getAttribute("content") === "test");
  el.secure.hidden = window.location.protocol !== "https:";  // a lock over plain http would be a lie
  selectMethod("upi", false);
  loadOrder();
  if (!embedded) el.vpa.focus();
})();
